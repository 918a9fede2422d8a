"""Locks that install everywhere they claim to: a wheel for every target platform.

A layer's lock is refused unless each package it installs has a wheel for every
target platform of the layer where the package's marker holds. As in the reference
venvstacks 0.8, Linux wheels count when their glibc bound is at most the layer's
``linux_target`` (default ``glibc@2.28``) and macOS wheels when their OS bound is at
most its ``macosx_target`` (default 13.0, or ``MACOSX_DEPLOYMENT_TARGET``); a plain
platform tag (``linux_x86_64``) from a naive local build counts too. uv has already
checked the Python and ABI tags against the layer's ``X.Y``; wheels for other Python
versions are ignored here all the same.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from venvstacks.lock.markers import platforms_matching
from venvstacks.spec.runtime_version import minor_version

DEFAULT_GLIBC = (2, 28)
DEFAULT_MACOSX = "13.0"
#: Old manylinux names and the glibc version they stand for.
_MANYLINUX_ALIASES = {
    "manylinux1": (2, 5),
    "manylinux2010": (2, 12),
    "manylinux2014": (2, 17),
}
_MACOS_ARCHES = {
    "arm64": {"arm64", "universal2"},
    "x86_64": {"x86_64", "intel", "universal2"},
}


def glibc_bound(linux_target: str | None) -> tuple[int, int]:
    """The glibc version a ``linux_target`` (``glibc`` or ``glibc@X.Y``) allows."""
    if not linux_target or "@" not in linux_target:
        return DEFAULT_GLIBC
    major, _, minor = linux_target.partition("@")[2].partition(".")
    return int(major), int(minor or 0)


def macosx_bound(macosx_target: str | None) -> tuple[int, int]:
    """The macOS version a ``macosx_target`` allows (``13`` means ``13.0``)."""
    target = macosx_target or os.environ.get("MACOSX_DEPLOYMENT_TARGET") or DEFAULT_MACOSX
    major, _, minor = target.partition(".")
    return int(major), int(minor.partition(".")[0] or 0)


def _python_fits(tag: Tag, python_minor: str) -> bool:
    major, minor = python_minor.split(".")
    cp = f"cp{major}{minor}"
    if tag.interpreter in (f"py{major}", f"py{major}{minor}"):
        return True
    if tag.abi == "abi3" and tag.interpreter.startswith(f"cp{major}"):
        return int(tag.interpreter[len(f"cp{major}") :] or 0) <= int(minor)
    return tag.interpreter == cp


def _fits(
    platform_tag: str, target: str, glibc: tuple[int, int], macos: tuple[int, int]
) -> bool:
    if platform_tag in ("any", target):
        return True
    system, _, arch = target.partition("_")
    if system == "linux":
        for old, version in _MANYLINUX_ALIASES.items():
            if platform_tag == f"{old}_{arch}":
                return version <= glibc
        prefix, suffix = "manylinux_", f"_{arch}"
        if platform_tag.startswith(prefix) and platform_tag.endswith(suffix):
            numbers = platform_tag[len(prefix) : -len(suffix)].split("_")
            return len(numbers) == 2 and (int(numbers[0]), int(numbers[1])) <= glibc
        return False
    if system == "macosx":
        parts = platform_tag.split("_", 3)
        if len(parts) != 4 or parts[0] != "macosx":
            return False
        _, major, minor, wheel_arch = parts
        return wheel_arch in _MACOS_ARCHES[arch] and (int(major), int(minor)) <= macos
    return False


def wheel_names(package: Mapping[str, object]) -> list[str]:
    """The file names of a pylock package's wheels."""
    names = []
    for wheel in package.get("wheels", ()) or ():  # type: ignore[attr-defined]
        if not isinstance(wheel, Mapping):
            continue
        name = (
            wheel.get("name")
            or PurePosixPath(str(wheel.get("url") or wheel.get("path") or "")).name
        )
        if name:
            names.append(str(name))
    return names


def missing_wheels(
    pylock_text: str,
    platforms: Sequence[str],
    python_version: str,
    *,
    linux_target: str | None = None,
    macosx_target: str | None = None,
    builds_allowed: bool = False,
) -> dict[str, tuple[str, ...]]:
    """``name==version`` -> the target platforms it has no wheel for.

    ``python_version`` is ``X.Y`` or ``X.Y.Z``. With ``builds_allowed`` (uv's
    ``no-build = false``), packages that come as source only are not checked.
    """
    glibc, macos = glibc_bound(linux_target), macosx_bound(macosx_target)
    minor = minor_version(python_version)
    full = python_version if python_version.count(".") == 2 else f"{minor}.0"
    missing: dict[str, tuple[str, ...]] = {}
    for package in tomllib.loads(pylock_text).get("packages", []):
        needed = platforms_matching(package.get("marker"), platforms, full)
        if needed is None:
            needed = tuple(platforms)
        names = wheel_names(package)
        if not names and builds_allowed:
            continue
        tags: set[str] = set()
        for name in names:
            try:
                parsed = parse_wheel_filename(name)[3]
            except InvalidWheelFilename:
                continue
            tags.update(t.platform for t in parsed if _python_fits(t, minor))
        lacking = tuple(
            p for p in needed if not any(_fits(tag, p, glibc, macos) for tag in tags)
        )
        if lacking:
            missing[f"{package.get('name')}=={package.get('version')}"] = lacking
    return missing


def describe_missing(missing: Mapping[str, Sequence[str]]) -> str:
    """``a==1 (linux_aarch64, win_arm64); b==2 (macosx_x86_64)``."""
    return "; ".join(f"{name} ({', '.join(p)})" for name, p in sorted(missing.items()))
