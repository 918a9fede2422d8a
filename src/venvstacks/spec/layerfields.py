"""Reading the fields of one layer table: runtime, framework or application."""

from __future__ import annotations

import keyword
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from venvstacks.errors import SpecError
from venvstacks.spec.fields import Table, did_you_mean, toml_key
from venvstacks.spec.model import (
    ALL_PLATFORMS,
    ENV_PREFIXES,
    LayerKind,
    UvConfig,
    frozen_map,
    module_name,
)
from venvstacks.spec.modulefiles import (
    ModuleFileError,
    module_files,
    module_root,
)
from venvstacks.spec.runtime_version import RuntimeVersion, RuntimeVersionError

COMMON_KEYS = (
    "name",
    "requirements",
    "platforms",
    "versioned",
    "linux_target",
    "macosx_target",
    "dynlib_exclude",
    "package_indexes",
    "priority_indexes",
    "index_overrides",
    "build_requirements",  # deprecated, ignored (accepted for compatibility)
)
RUNTIME_KEYS = (*COMMON_KEYS, "python_implementation", "fully_versioned_name")
FRAMEWORK_KEYS = (*COMMON_KEYS, "runtime", "frameworks")
APPLICATION_KEYS = (*FRAMEWORK_KEYS, "launch_module", "support_modules")

#: The longest layer name: it must still fit in a file name (255 bytes on common file
#: systems) once prefixed (``framework-``), versioned (``@N``), tagged with platform and
#: build number and given an archive suffix and a temporary-file suffix.
MAX_NAME_LENGTH = 100
LINUX_TARGET_VARIANTS = ("glibc",)

# All patterns are used with ``fullmatch`` (``$`` would accept a trailing newline).
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+@-]*")
_LINUX_TARGET_RE = re.compile(r"(?P<variant>[a-z]+)(@(?P<version>\d{1,4}\.\d{1,4}))?")
_MACOSX_TARGET_RE = re.compile(r"\d{1,4}(\.\d{1,4})?")


@dataclass(frozen=True)
class CommonFields:
    """The validated fields shared by all layer kinds (before graph resolution)."""

    kind: LayerKind
    name: str
    toml_path: str
    requirements: tuple[str, ...]
    platforms: tuple[str, ...] | None
    versioned: bool
    linux_target: str | None
    macosx_target: str | None
    dynlib_exclude: tuple[str, ...]
    package_indexes: Mapping[str, str]
    priority_indexes: tuple[str, ...]
    index_overrides: Mapping[str, str]

    @property
    def env_name(self) -> str:
        """Kind prefix plus name."""
        return ENV_PREFIXES[self.kind] + self.name

    def spec_kwargs(
        self, platforms: tuple[str, ...], package_indexes: Mapping[str, str]
    ) -> dict[str, Any]:
        """Keyword arguments for the LayerSpec subclasses."""
        return dict(
            name=self.name,
            requirements=self.requirements,
            platforms=platforms,
            versioned=self.versioned,
            linux_target=self.linux_target,
            macosx_target=self.macosx_target,
            dynlib_exclude=self.dynlib_exclude,
            package_indexes=package_indexes,
            priority_indexes=self.priority_indexes,
            index_overrides=self.index_overrides,
            toml_path=self.toml_path,
        )


def read_common(
    table: Table,
    kind: LayerKind,
    keys: Sequence[str],
    uv: UvConfig,
    warnings: list[str],
) -> CommonFields:
    """Validate the common fields of a layer table."""
    # Name the layer in errors as early as possible, but report a misspelt key (such as
    # 'nmae') before complaining that the name is missing.
    table.layer = _peek_env_name(table, kind)
    table.reject_unknown(keys, f"{kind} layer")
    name = _read_name(table, kind)
    table.layer = ENV_PREFIXES[kind] + name
    if table.has("build_requirements"):
        warnings.append(f"{table.layer}: 'build_requirements' has no effect and is ignored")
    requirements = table.string_list("requirements", required=True)
    assert requirements is not None
    index_names = [index.name for index in uv.indexes if index.name]
    return CommonFields(
        kind=kind,
        name=name,
        toml_path=table.path,
        requirements=tuple(requirements),
        platforms=_read_platforms(table),
        versioned=table.boolean("versioned"),
        linux_target=_read_linux_target(table),
        macosx_target=_read_macosx_target(table),
        dynlib_exclude=tuple(table.string_list("dynlib_exclude") or ()),
        package_indexes=_read_package_indexes(table, index_names),
        priority_indexes=_read_priority_indexes(table, index_names),
        index_overrides=_read_index_overrides(table, index_names),
    )


def _peek_env_name(table: Table, kind: LayerKind) -> str | None:
    try:
        return ENV_PREFIXES[kind] + _read_name(table, kind)
    except SpecError:
        return None


def _read_name(table: Table, kind: LayerKind) -> str:
    name = table.required_string("name")
    if len(name) > MAX_NAME_LENGTH:
        raise table.error(
            "name",
            f"layer name {name[:20]!r}... is {len(name)} characters long; at most "
            f"{MAX_NAME_LENGTH} are allowed",
            hint="Layer names become file and folder names, which file systems limit "
            "to 255 bytes including prefixes, versions and suffixes.",
        )
    if not _NAME_RE.fullmatch(name):
        raise table.error(
            "name",
            f"layer name {name!r} is not a valid name",
            hint="Use letters, digits and '.', '_', '-', '+', '@', starting with a "
            "letter or digit.",
        )
    if kind == "runtime":
        for reserved in ("framework-", "app-"):
            if name.startswith(reserved):
                raise table.error(
                    "name",
                    f"runtime name {name!r} starts with the reserved prefix {reserved!r}",
                    hint="Framework and application env names use that prefix.",
                )
    return name


def _read_platforms(table: Table) -> tuple[str, ...] | None:
    platforms = table.string_list("platforms")
    if platforms is None:
        return None
    for index, platform_name in enumerate(platforms):
        if platform_name not in ALL_PLATFORMS:
            raise table.error(
                f"platforms[{index}]",
                f"unknown target platform {platform_name!r}"
                f"{did_you_mean(platform_name, ALL_PLATFORMS)}",
                hint=f"Known platforms: {', '.join(ALL_PLATFORMS)}.",
            )
    return tuple(platforms)


def _read_linux_target(table: Table) -> str | None:
    target = table.string("linux_target")
    if target is None:
        return None
    match = _LINUX_TARGET_RE.fullmatch(target)
    if not match or match["variant"] not in LINUX_TARGET_VARIANTS:
        raise table.error(
            "linux_target",
            f"linux_target {target!r} is not valid",
            hint="Use 'glibc' or 'glibc@X.Y' (for example 'glibc@2.28').",
        )
    return target


def _read_macosx_target(table: Table) -> str | None:
    target = table.string("macosx_target")
    if target is not None and not _MACOSX_TARGET_RE.fullmatch(target):
        raise table.error(
            "macosx_target",
            f"macosx_target {target!r} is not a macOS version",
            hint="Use a version such as '11.0' or '14'.",
        )
    return target


def _check_index(table: Table, key: str, index_name: str, known: Sequence[str]) -> None:
    if index_name not in known:
        raise table.error(
            key,
            f"unknown package index {index_name!r}{did_you_mean(index_name, known)}",
            hint=(
                f"Named indexes in [[tool.uv.index]]: {', '.join(known)}."
                if known
                else "Define it as a named [[tool.uv.index]] entry first."
            ),
        )


def _read_package_indexes(table: Table, known: Sequence[str]) -> Mapping[str, str]:
    raw = table.string_table("package_indexes")
    result: dict[str, str] = {}
    for package, index_name in raw.items():
        key = f"package_indexes.{toml_key(package)}"
        _check_index(table, key, index_name, known)
        normalised = canonicalize_name(package)
        if normalised in result:
            raise table.error(
                key, f"more than one index for {normalised!r} after name normalisation"
            )
        result[normalised] = index_name
    return frozen_map(result)


def _read_priority_indexes(table: Table, known: Sequence[str]) -> tuple[str, ...]:
    names = table.string_list("priority_indexes") or []
    for index, name in enumerate(names):
        _check_index(table, f"priority_indexes[{index}]", name, known)
    return tuple(names)


def _read_index_overrides(table: Table, known: Sequence[str]) -> Mapping[str, str]:
    raw = table.string_table("index_overrides")
    for original, replacement in raw.items():
        key = f"index_overrides.{toml_key(original)}"
        _check_index(table, key, original, known)
        _check_index(table, key, replacement, known)
    return frozen_map(raw)


def read_python_implementation(table: Table, warnings: list[str]) -> RuntimeVersion:
    """Read the runtime request of a ``[[runtimes]]`` table."""
    key = "python_implementation"
    if table.has("fully_versioned_name"):
        if table.has(key):
            raise table.error(
                "fully_versioned_name",
                "both 'fully_versioned_name' and 'python_implementation' are set",
                hint="'fully_versioned_name' is the old name; keep only "
                "'python_implementation'.",
            )
        key = "fully_versioned_name"
        warnings.append(
            f"{table.layer}: 'fully_versioned_name' is deprecated; "
            "use 'python_implementation'"
        )
    try:
        return RuntimeVersion.parse(table.required_string(key), label=key)
    except RuntimeVersionError as exc:
        raise table.error(key, exc.message, hint=exc.hint) from None


def read_modules(table: Table, spec_dir: Path) -> tuple[Path, tuple[Path, ...]]:
    """Read the launch module and support modules of an application table."""
    launch_text = table.required_string("launch_module")
    launch = _read_module(table, "launch_module", launch_text, spec_dir, launch=True)
    seen = {module_name(launch): "launch_module"}
    support = []
    for index, text in enumerate(table.string_list("support_modules") or ()):
        key = f"support_modules[{index}]"
        path = _read_module(table, key, text, spec_dir, launch=False)
        name = module_name(path)
        if name in seen:
            raise table.error(key, f"module name {name!r} is already used by {seen[name]}")
        seen[name] = key
        support.append(path)
    return launch, tuple(support)


def _read_module(
    table: Table, key: str, text: str, spec_dir: Path, *, launch: bool
) -> Path:
    # Relative paths start at the spec's folder, '..' included; absolute ones are
    # accepted as they are. Both as the reference venvstacks does (its own sample
    # project names '../minimal_project/empty.py'). A module outside the project
    # draws files only from its own folder (see spec.modulefiles.module_root).
    path = Path(os.path.normpath(spec_dir / text))
    if path == spec_dir:
        raise table.error(
            key,
            f"{text!r} is the spec file's own folder, not a module",
            hint="Name a module file or package inside the project folder.",
        )
    marker = "__main__.py" if launch else "__init__.py"
    try:
        is_dir, is_file = path.is_dir(), path.is_file()
        has_marker = is_dir and (path / marker).is_file()
    except (OSError, ValueError) as exc:  # name too long, embedded NUL, ...
        reason = getattr(exc, "strerror", None) or str(exc)
        raise table.error(
            key, f"{text!r} cannot be used as a module path: {reason}"
        ) from None
    if is_dir:
        if not has_marker:
            raise table.error(
                key,
                f"package {text!r} has no {marker}",
                hint="A launch package needs __main__.py to run with 'python -m'."
                if launch
                else "A support package needs __init__.py.",
            )
    elif is_file:
        if path.suffix != ".py":
            raise table.error(key, f"{text!r} is not a Python module (.py) or package")
    else:
        raise table.error(key, f"{text!r} does not exist (looked for {str(path)!r})")
    name = module_name(path)
    if not name.isidentifier() or keyword.iskeyword(name):
        raise table.error(key, f"{name!r} is not a valid Python module name")
    try:
        for _ in module_files(path, spec_dir):
            pass
    except ModuleFileError as exc:
        shown = os.path.relpath(exc.path, module_root(path, spec_dir))
        raise table.error(
            key,
            f"{shown!r} {exc.reason}",
            hint="Launch and support modules may only hold regular files and folders "
            "from the folder they are named in (symlinks are followed only inside it).",
        ) from None
    return path
