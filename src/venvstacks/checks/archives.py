"""``reproducible`` and ``relocatable``: what a layer's archive holds.

``reproducible`` compares two archives of a layer, each made from its own staging
(plugins' ``pre_archive`` hooks fired each time), byte for byte, and names the
members that differ. ``relocatable`` looks at a layer unpacked from its archive (with
the safe unpacker, which uses :mod:`tarfile`'s ``data`` filter) into a folder whose path
has spaces and non-ASCII characters, and again after that folder was moved.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from venvstacks.archive.unpack import _sniff, _tar_stream
from venvstacks.checks.launch import check_launch
from venvstacks.checks.model import (
    CheckResult,
    LayerFolder,
    failed,
    last_lines,
    passed,
    run_python,
)

REPRODUCIBLE = "reproducible"
RELOCATABLE = "relocatable"

_Member = tuple[str, ...]


def _members(archive: Path) -> dict[str, _Member]:
    """Member name -> (type, mode, owner, mtime, size, link target, content sha256)."""
    found: dict[str, _Member] = {}
    kind = _sniff(archive)
    if kind == "zip":
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                digest = hashlib.sha256(zipped.read(info)).hexdigest()
                found[info.filename] = (
                    "dir" if info.is_dir() else "file",
                    oct(info.external_attr >> 16),
                    "",
                    str(info.date_time),
                    str(info.file_size),
                    "",
                    digest,
                )
        return found
    with (
        _tar_stream(archive, kind) as stream,
        tarfile.open(fileobj=stream, mode="r|", errors="surrogateescape") as tar,
    ):
        for member in tar:
            digest = ""
            if member.isfile():
                extracted = tar.extractfile(member)
                digest = hashlib.sha256(extracted.read() if extracted else b"").hexdigest()
            found[member.name] = (
                "file" if member.isfile() else "dir" if member.isdir() else "link",
                oct(member.mode),
                f"{member.uid}:{member.gid}:{member.uname}:{member.gname}",
                str(member.mtime),
                str(member.size),
                member.linkname,
                digest,
            )
    return found


_FIELDS = ("type", "mode", "owner", "mtime", "size", "link target", "content")


def archive_differences(first: Path, second: Path) -> list[str]:
    """What differs between two archives of one layer (empty: byte-identical)."""
    if first.read_bytes() == second.read_bytes():
        return []
    one, two = _members(first), _members(second)
    lines = [f"only in the first build: {name}" for name in sorted(one.keys() - two.keys())]
    lines += [
        f"only in the second build: {name}" for name in sorted(two.keys() - one.keys())
    ]
    for name in sorted(one.keys() & two.keys()):
        changed = [
            f for f, a, b in zip(_FIELDS, one[name], two[name], strict=True) if a != b
        ]
        if changed:
            lines.append(f"{name}: {', '.join(changed)} differ")
    if list(one) != list(two) and not lines:
        lines.append("the members are in a different order")
    return lines or ["the compressed bytes differ (the members are the same)"]


def check_reproducible(layer: str, first: Path, second: Path) -> CheckResult:
    """Compare two independently staged archives of a layer."""
    details = [f"first: {first.name} ({first.stat().st_size} bytes)", f"second: {second}"]
    differences = archive_differences(first, second)
    if differences:
        shown = "; ".join(differences[:10])
        more = f"; and {len(differences) - 10} more" if len(differences) > 10 else ""
        return failed(
            REPRODUCIBLE,
            layer,
            "two archives of this layer, each from its own staging, differ: "
            f"{shown}{more}. "
            "Something writes time stamps, random or path-dependent content into the "
            "layer (a pre_archive or post_install plugin, or a package's install step): "
            "make it deterministic.",
            [*details, *differences],
        )
    return passed(
        REPRODUCIBLE, layer, "two independent archives are byte-identical", details
    )


def scan_deployed(layer: LayerFolder, forbidden: Sequence[str]) -> list[str]:
    """Absolute symlinks, symlinks leaving the deployment, files holding ``forbidden``."""
    problems: list[str] = []
    needles = [text.encode() for text in forbidden if text]
    root = os.path.realpath(layer.root)
    for folder, dirs, files in os.walk(layer.path):
        for name in [*dirs, *files]:
            path = Path(folder, name)
            relative = path.relative_to(layer.root).as_posix()
            if path.is_symlink():
                target = os.readlink(path)
                resolved = os.path.realpath(Path(folder, target))
                if Path(target).is_absolute():
                    problems.append(
                        f"{relative} is a symlink to the absolute path {target}"
                    )
                elif not (resolved == root or resolved.startswith(root + os.sep)):
                    problems.append(f"{relative} is a symlink leaving the stack ({target})")
            elif name in files and needles:
                data = path.read_bytes()
                problems.extend(
                    f"{relative} holds the build path {needle.decode()}"
                    for needle in needles
                    if needle in data
                )
    return problems


def deployed_failure(layer: LayerFolder, where: str) -> CheckResult | None:
    """A ``relocatable`` failure when the layer does not work where it is deployed.

    Applications' launch modules must import; other layers' Python must start.
    """
    if layer.launch_module is not None:
        result = check_launch(layer, where)
        if result.status != "failed":
            return None
        return failed(
            RELOCATABLE,
            layer.env_name,
            result.message + " The layer was deployed without running postinstall.py.",
            result.details,
        )
    ran = run_python(layer, ["-c", "import sys, site; print(sys.prefix)"])
    if ran.returncode != 0:
        return failed(
            RELOCATABLE,
            layer.env_name,
            f"the deployed layer's Python fails to start{where} (without running "
            f"postinstall.py): {last_lines(ran.stderr)}",
        )
    return None


def scan_failure(layer: LayerFolder, forbidden: Sequence[str]) -> CheckResult | None:
    """A ``relocatable`` failure for links or build paths in a freshly deployed layer."""
    problems = scan_deployed(layer, forbidden)
    if not problems:
        return None
    return failed(
        RELOCATABLE,
        layer.env_name,
        "the published layer is not relocatable: "
        + "; ".join(problems[:10])
        + ". Make links relative to the layer and keep build paths out of files "
        "(rewrite them in a post_install or pre_archive plugin).",
        problems,
    )


def check_relocatable(
    first: LayerFolder, moved: LayerFolder, earlier: CheckResult | None = None
) -> CheckResult:
    """The ``relocatable`` result of a layer unpacked at ``first`` and moved to ``moved``.

    ``earlier`` is what :func:`scan_failure` or :func:`deployed_failure` found at
    ``first``, before the move.
    """
    details = (f"unpacked into {first.root}", f"then moved to {moved.root}")
    if earlier is not None:
        return failed(
            RELOCATABLE, moved.env_name, earlier.message, [*details, *earlier.details]
        )
    later = deployed_failure(moved, f" after moving to {moved.root}")
    if later is not None:
        return failed(
            RELOCATABLE, moved.env_name, later.message, [*details, *later.details]
        )
    return passed(
        RELOCATABLE, moved.env_name, "runs where unpacked and after a move", details
    )
