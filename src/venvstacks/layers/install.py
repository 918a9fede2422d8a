"""Installing a layer's locked packages into its environment with uv."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from venvstacks.errors import BuildError
from venvstacks.lock.files import parse_pylock_packages
from venvstacks.reporting import Reporter
from venvstacks.uvtool import UvSettings, run_uv

_UV_PLATFORM_ARCH = {"x86_64": "x86_64", "aarch64": "aarch64"}


def linux_python_platform(target_platform: str, linux_target: str | None) -> str | None:
    """uv's ``--python-platform`` for a layer's ``linux_target`` (None: uv's default)."""
    if linux_target is None or not target_platform.startswith("linux_"):
        return None
    arch = _UV_PLATFORM_ARCH.get(target_platform.partition("_")[2], "x86_64")
    version = linux_target.partition("@")[2]
    if not version:
        return f"{arch}-unknown-linux-gnu"
    return f"{arch}-manylinux_{version.replace('.', '_')}"


def has_distributions(site_packages: Path) -> bool:
    """Whether anything is installed in ``site_packages`` (a ``*.dist-info`` there)."""
    try:
        with os.scandir(site_packages) as entries:
            return any(entry.name.endswith(".dist-info") for entry in entries)
    except FileNotFoundError:
        return False


def sync_packages(
    python: Path,
    pylock: Path,
    uv: UvSettings,
    reporter: Reporter,
    layer: str,
    *,
    site_packages: Path | None = None,
    python_platform: str | None = None,
    find_links: Sequence[Path] = (),
    no_index: bool = False,
) -> None:
    """Make the environment of ``python`` hold exactly the packages in ``pylock``.

    Packages visible from lower layers are not part of the environment's own
    site-packages, so uv neither sees nor touches them.

    When the lock lists no package and nothing is installed in ``site_packages``
    (given), the environment already holds exactly the lock: uv is not run (it would
    only query the new interpreter, about 0.1 s a layer, to install nothing).
    """
    if (
        site_packages is not None
        and not has_distributions(site_packages)
        and not parse_pylock_packages(pylock.read_text("utf-8"), layer)
    ):
        return
    args = [
        "pip",
        "sync",
        "--python",
        str(python),
        "--preview-features",
        "pylock",
        "--allow-empty-requirements",
    ]
    if python_platform:
        args += ["--python-platform", python_platform]
    for link in find_links:
        args += ["--find-links", str(link)]
    if no_index:
        args.append("--no-index")
    args.append(str(pylock))
    result = run_uv(args, uv, reporter=reporter, layer=layer)
    if not result.ok:
        raise BuildError(
            f"uv could not install the locked packages: {result.reason()}",
            layer=layer,
            hint="If the lock names packages this machine cannot get, relock or pass "
            "--local-wheels.",
        )
