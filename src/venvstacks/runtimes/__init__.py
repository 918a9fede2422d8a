"""Python runtimes: finding, downloading and adopting CPython installations.

* :mod:`~venvstacks.runtimes.discovery` finds installed interpreters;
* :mod:`~venvstacks.runtimes.download` lists and installs python-build-standalone
  builds through uv;
* :mod:`~venvstacks.runtimes.adopt` copies an installation into a runtime layer and
  makes the copy relocatable (with :mod:`~venvstacks.runtimes.relocate`);
* :mod:`~venvstacks.runtimes.providers` exposes all of it as built-in plugins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from venvstacks._lazy import lazy_exports

if TYPE_CHECKING:
    from venvstacks.runtimes.adopt import adopt_runtime
    from venvstacks.runtimes.discovery import clear_cache, discover_installed, find_matching
    from venvstacks.runtimes.download import available_downloads, install_download
    from venvstacks.runtimes.model import (
        RUNTIME_SOURCES,
        AdoptedRuntime,
        InstalledPython,
        ResolvedRuntime,
    )
    from venvstacks.runtimes.prefix import PLACEHOLDER_PREFIX
    from venvstacks.runtimes.providers import (
        RUNTIME_SOURCE_ENV_VAR,
        builtin_plugins,
        describe_installed,
        not_found_error,
    )
    from venvstacks.runtimes.scripts import make_scripts_relocatable

__all__ = [
    "PLACEHOLDER_PREFIX",
    "RUNTIME_SOURCES",
    "RUNTIME_SOURCE_ENV_VAR",
    "AdoptedRuntime",
    "InstalledPython",
    "ResolvedRuntime",
    "adopt_runtime",
    "available_downloads",
    "builtin_plugins",
    "clear_cache",
    "describe_installed",
    "discover_installed",
    "find_matching",
    "install_download",
    "make_scripts_relocatable",
    "not_found_error",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "AdoptedRuntime": "venvstacks.runtimes.model",
        "InstalledPython": "venvstacks.runtimes.model",
        "PLACEHOLDER_PREFIX": "venvstacks.runtimes.prefix",
        "RUNTIME_SOURCES": "venvstacks.runtimes.model",
        "RUNTIME_SOURCE_ENV_VAR": "venvstacks.runtimes.providers",
        "ResolvedRuntime": "venvstacks.runtimes.model",
        "adopt_runtime": "venvstacks.runtimes.adopt",
        "available_downloads": "venvstacks.runtimes.download",
        "builtin_plugins": "venvstacks.runtimes.providers",
        "clear_cache": "venvstacks.runtimes.discovery",
        "describe_installed": "venvstacks.runtimes.providers",
        "discover_installed": "venvstacks.runtimes.discovery",
        "find_matching": "venvstacks.runtimes.discovery",
        "install_download": "venvstacks.runtimes.download",
        "make_scripts_relocatable": "venvstacks.runtimes.scripts",
        "not_found_error": "venvstacks.runtimes.providers",
    },
)
