"""The built-in runtime providers, registered as plugins like any other.

* ``local_runtime`` serves ``--runtime-source auto|local`` from the interpreters
  :func:`~venvstacks.runtimes.discovery.discover_installed` finds;
* ``download_runtime`` serves ``auto|download`` with python-build-standalone builds
  installed by uv.

They are plain objects with methods named after the hooks (no marker): the plugin
manager registers them as ``trylast`` implementations, so third-party providers get
the first say. Among ``trylast`` implementations pluggy calls the one registered
*first* first (each new ``trylast`` one is put at the far end of the call order),
so :func:`builtin_plugins` lists ``local_runtime`` before ``download_runtime``: in
``auto`` mode an installed Python wins over a download.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from venvstacks.errors import RuntimeNotFoundError
from venvstacks.runtimes.discovery import discover_installed, find_matching
from venvstacks.runtimes.download import available_downloads, install_download
from venvstacks.runtimes.model import InstalledPython, ResolvedRuntime
from venvstacks.uvtool import UvSettings

if TYPE_CHECKING:
    from collections.abc import Iterable

    from venvstacks.spec.model import RuntimeRequest

#: The environment variable that sets ``--runtime-source``.
RUNTIME_SOURCE_ENV_VAR = "VENVSTACKS_RUNTIME_SOURCE"
#: Sub-folder of the provider work folder holding uv's Python installs.
DOWNLOADS_FOLDER = "python-downloads"


class LocalRuntimeProvider:
    """Resolves and fetches runtimes from the Python installations on this machine."""

    def __init__(self, settings: UvSettings | None = None) -> None:
        self.settings = settings or UvSettings()

    def venvstacks_resolve_runtime(
        self, request: RuntimeRequest, source: str
    ) -> ResolvedRuntime | None:
        """Choose the newest installed interpreter that satisfies the request."""
        if source not in ("auto", "local"):
            return None
        found = find_matching(request, discover_installed(self.settings))
        if found is None:
            return None
        return ResolvedRuntime(
            found.implementation, found.version, "local", str(found.prefix)
        )

    def venvstacks_fetch_runtime(
        self, runtime: ResolvedRuntime, source: str
    ) -> Path | None:
        """Return the prefix of an installed interpreter of exactly ``runtime.version``.

        One whose prefix is the locked ``runtime.origin`` is preferred.
        """
        if source not in ("auto", "local"):
            return None
        candidates = [
            python
            for python in discover_installed(self.settings)
            if python.implementation == runtime.implementation
            and python.version == runtime.version
        ]
        if not candidates:
            return None
        for python in candidates:
            if str(python.prefix) == runtime.origin:
                return python.prefix
        return candidates[0].prefix


class DownloadRuntimeProvider:
    """Resolves and fetches runtimes as python-build-standalone downloads, with uv."""

    def __init__(self, settings: UvSettings | None = None) -> None:
        self.settings = settings or UvSettings()

    def venvstacks_resolve_runtime(
        self, request: RuntimeRequest, source: str
    ) -> ResolvedRuntime | None:
        """Choose the newest downloadable version satisfying the request.

        Pre-releases are only chosen when asked for exactly.
        """
        if source not in ("auto", "download") or request.implementation != "cpython":
            return None
        for version, key in available_downloads(self.settings):
            if request.matches(version) and (request.exact or _is_final(version)):
                return ResolvedRuntime("cpython", version, "download", key)
        return None

    def venvstacks_fetch_runtime(
        self, runtime: ResolvedRuntime, source: str, work_dir: Path
    ) -> Path | None:
        """Install ``runtime.version`` with uv under ``work_dir`` (once) and return it.

        :raises RuntimeNotFoundError: when the download fails.
        """
        if source not in ("auto", "download") or runtime.implementation != "cpython":
            return None
        versions = {version for version, _key in available_downloads(self.settings)}
        if runtime.version not in versions:
            return None
        return install_download(runtime.version, work_dir / DOWNLOADS_FOLDER, self.settings)


def builtin_plugins(settings: UvSettings | None = None) -> list[tuple[str, object]]:
    """Return the built-in providers as ``(name, plugin)`` pairs, in registration order.

    Registered in this order, ``local_runtime`` is called before ``download_runtime``.
    """
    return [
        ("local_runtime", LocalRuntimeProvider(settings)),
        ("download_runtime", DownloadRuntimeProvider(settings)),
    ]


def describe_installed(installed: Iterable[InstalledPython]) -> str:
    """List installations for people: ``cpython@3.13.0 (pyenv, /root/...), ...``."""
    descriptions = [python.describe() for python in installed]
    return ", ".join(descriptions) if descriptions else "no Python installation at all"


def not_found_error(
    request: RuntimeRequest,
    source: str,
    installed: Iterable[InstalledPython],
    layer: str | None,
    *,
    field: str | None = None,
) -> RuntimeNotFoundError:
    """Build the error for a runtime request that no provider could satisfy.

    :param request: what the runtime layer asked for.
    :param source: the ``--runtime-source`` in effect.
    :param installed: what discovery found (listed in the message).
    :param layer: the runtime layer's name.
    :param field: the spec key of the request, if known.
    """
    found = describe_installed(installed)
    local = f"no installed Python matches {request} (found: {found})"
    download = f"no python-build-standalone download matches {request}"
    if source == "local":
        message = local
        hint = (
            f"Install a matching CPython (e.g. with pyenv) or change the requested "
            f"version; to allow downloads, use --runtime-source auto (or "
            f"{RUNTIME_SOURCE_ENV_VAR}=auto)."
        )
    elif source == "download":
        message = f"{download} (installed: {found})"
        hint = (
            f"Change the requested version, or use an installed Python with "
            f"--runtime-source local or auto (or {RUNTIME_SOURCE_ENV_VAR})."
        )
    else:
        message = f"{local}, and {download}"
        hint = (
            f"Install a matching CPython or change the requested version; "
            f"--runtime-source auto|local|download (or {RUNTIME_SOURCE_ENV_VAR}) "
            f"chooses where runtimes come from."
        )
    return RuntimeNotFoundError(message, layer=layer, field=field, hint=hint)


def _is_final(version: str) -> bool:
    try:
        parsed = Version(version)
    except InvalidVersion:
        return False
    return not (parsed.is_prerelease or parsed.is_devrelease)
