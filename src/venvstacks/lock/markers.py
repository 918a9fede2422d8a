"""Evaluating environment markers for target platforms other than the running one."""

from __future__ import annotations

from collections.abc import Sequence

from packaging.markers import (
    InvalidMarker,
    Marker,
    UndefinedComparison,
    UndefinedEnvironmentName,
)

from venvstacks.spec.runtime_version import minor_version

_PLATFORM_KEYS = {
    "linux": {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux"},
    "macosx": {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin"},
    "win": {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows"},
}
_MACHINES = {
    ("linux", "x86_64"): "x86_64",
    ("linux", "aarch64"): "aarch64",
    ("macosx", "x86_64"): "x86_64",
    ("macosx", "arm64"): "arm64",
    ("win", "amd64"): "AMD64",
    ("win", "arm64"): "ARM64",
}


def marker_environment(target_platform: str, python_version: str) -> dict[str, str]:
    """The marker variables of a CPython ``X.Y.Z`` on a target platform."""
    system, _, arch = target_platform.partition("_")
    env = {
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "implementation_version": python_version,
        "python_version": minor_version(python_version),
        "python_full_version": python_version,
        "platform_machine": _MACHINES[(system, arch)],
        "platform_release": "",
        "platform_version": "",
    }
    env.update(_PLATFORM_KEYS[system])
    return env


def platforms_matching(
    marker: str | None, platforms: Sequence[str], python_version: str
) -> tuple[str, ...] | None:
    """The target platforms a marker holds on; None when it cannot be evaluated."""
    if not marker:
        return tuple(platforms)
    try:
        parsed = Marker(marker)
        return tuple(
            p for p in platforms if parsed.evaluate(marker_environment(p, python_version))
        )
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return None
