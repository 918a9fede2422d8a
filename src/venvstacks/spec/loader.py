"""Load ``venvstacks.toml`` into a validated :class:`StackSpec`.

Every mistake raises :class:`SpecError` naming the layer and the TOML key path; no
input document, however malformed, makes the loader fail any other way.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias

from packaging.requirements import InvalidRequirement, Requirement

from venvstacks.errors import SpecError
from venvstacks.spec import graph
from venvstacks.spec.fields import Table, did_you_mean
from venvstacks.spec.layerfields import (
    APPLICATION_KEYS,
    FRAMEWORK_KEYS,
    RUNTIME_KEYS,
    CommonFields,
    read_common,
    read_modules,
    read_python_implementation,
)
from venvstacks.spec.model import (
    ALL_PLATFORMS,
    ENV_PREFIXES,
    ApplicationSpec,
    FrameworkSpec,
    LayerKind,
    LayerSpec,
    RuntimeSpec,
    StackSpec,
    UvConfig,
    frozen_map,
)
from venvstacks.spec.uvconfig import load_uv_config

TOP_LEVEL_KEYS = ("runtimes", "frameworks", "applications", "tool")

#: A framework or application table read but not yet resolved: the table, its common
#: fields, its declared runtime name and its declared framework names.
_Declared: TypeAlias = tuple[Table, CommonFields, str | None, list[str] | None]


def load_stack_spec(path: str | os.PathLike[str]) -> StackSpec:
    """Read and validate a stack specification file."""
    spec_path = Path(os.path.abspath(path))
    try:
        if spec_path.is_dir():
            spec_path = spec_path / "venvstacks.toml"
        raw = spec_path.read_bytes()
    except FileNotFoundError:
        raise SpecError(
            f"no stack specification at {spec_path}",
            hint="Pass the path of a venvstacks.toml file.",
        ) from None
    except (OSError, ValueError) as exc:  # ValueError: embedded NUL in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SpecError(f"cannot read {str(spec_path)!r}: {reason}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{spec_path.name} is not UTF-8 text (byte {exc.start})") from None
    return load_stack_spec_text(text, spec_path)


def load_stack_spec_text(text: str, spec_path: Path) -> StackSpec:
    """Validate spec text as if it were read from ``spec_path``."""
    text = text.removeprefix("\ufeff")  # a UTF-8 byte order mark, as some editors write
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{spec_path.name} is not valid TOML: {exc}") from None
    except RecursionError:
        raise SpecError(
            f"{spec_path.name} nests arrays or tables too deeply to be a stack "
            "specification"
        ) from None
    return _StackLoader(spec_path, document).load()


class _StackLoader:
    def __init__(self, spec_path: Path, document: dict[str, Any]):
        self.spec_path = spec_path
        self.top = Table(document, "")
        self.warnings: list[str] = []
        self.uv = UvConfig()

    def load(self) -> StackSpec:
        top = self.top
        top.reject_unknown(TOP_LEVEL_KEYS, "top-level")
        if top.has("tool") and type(top.data["tool"]) is not dict:
            raise top.error("tool", "'tool' must be a table")
        self.uv = load_uv_config(self.spec_path, top.data)
        runtimes = self._runtimes(top.tables("runtimes"))
        if not runtimes:
            raise SpecError(
                "the stack defines no runtime layers",
                field="runtimes",
                hint="Add at least one [[runtimes]] table.",
            )
        frameworks = self._layered(top.tables("frameworks"), "framework", runtimes, {})
        applications = self._layered(
            top.tables("applications"), "application", runtimes, frameworks
        )
        _check_deployed_names(
            [*runtimes.values(), *frameworks.values(), *applications.values()]
        )
        return StackSpec(
            path=self.spec_path,
            runtimes=frozen_map(runtimes),  # type: ignore[arg-type]
            frameworks=frozen_map(frameworks),  # type: ignore[arg-type]
            applications=frozen_map(applications),  # type: ignore[arg-type]
            uv=self.uv,
            warnings=tuple(self.warnings),
        )

    def _common(self, table: Table, kind: LayerKind, keys: Sequence[str]) -> CommonFields:
        fields = read_common(table, kind, keys, self.uv, self.warnings)
        self._check_requirements(table, fields.requirements)
        return fields

    def _runtimes(self, tables: list[Table]) -> dict[str, RuntimeSpec]:
        runtimes: dict[str, RuntimeSpec] = {}
        for table in tables:
            fields = self._common(table, "runtime", RUNTIME_KEYS)
            self._check_unique(table, fields.name, runtimes, "runtime")
            platforms = self._platforms(table, fields, ALL_PLATFORMS, ())
            request = read_python_implementation(table, self.warnings)
            runtimes[fields.env_name] = RuntimeSpec(
                **fields.spec_kwargs(platforms, fields.package_indexes),
                python_implementation=request,
            )
        return runtimes

    def _layered(
        self,
        tables: list[Table],
        kind: LayerKind,
        runtimes: Mapping[str, RuntimeSpec],
        frameworks: Mapping[str, FrameworkSpec],
    ) -> dict[str, Any]:
        keys = FRAMEWORK_KEYS if kind == "framework" else APPLICATION_KEYS
        declared: dict[str, _Declared] = {}
        for table in tables:
            fields = self._common(table, kind, keys)
            self._check_unique(table, fields.name, declared, kind)
            runtime, deps = self._dependencies(table, kind)
            declared[fields.env_name] = (table, fields, runtime, deps)
        known_frameworks = dict(frameworks)
        order = self._framework_order(declared) if kind == "framework" else list(declared)
        built: dict[str, Any] = {}
        for env_name in order:
            table, fields, runtime_name, deps = declared[env_name]
            layer = self._resolve(
                table, fields, runtime_name, deps, runtimes, known_frameworks
            )
            if isinstance(layer, FrameworkSpec):
                known_frameworks[env_name] = layer
            built[env_name] = layer
        return built

    def _dependencies(
        self, table: Table, kind: LayerKind
    ) -> tuple[str | None, list[str] | None]:
        runtime = table.string("runtime")
        deps = table.string_list("frameworks")
        if runtime is not None and deps is not None:
            raise table.error(
                "frameworks",
                f"{'an' if kind == 'application' else 'a'} {kind} layer names either "
                "a runtime or frameworks, not both",
                hint="Remove 'runtime'; the frameworks determine it.",
            )
        if runtime is None and deps is None:
            raise table.error(
                None,
                f"the {kind} layer names neither 'runtime' nor 'frameworks'",
                hint='Add runtime = "<runtime name>" or frameworks = [...].',
            )
        if deps is not None:
            if not deps:
                raise table.error(
                    "frameworks",
                    "'frameworks' is empty",
                    hint="Name at least one framework, or use 'runtime' instead.",
                )
            for index, name in enumerate(deps):
                if name in deps[:index]:
                    raise table.error(
                        f"frameworks[{index}]", f"framework {name!r} is listed twice"
                    )
        return runtime, deps

    def _framework_order(self, declared: Mapping[str, _Declared]) -> list[str]:
        names = {fields.name: env for env, (_, fields, _, _) in declared.items()}
        deps: dict[str, list[str]] = {}
        for env_name, (table, _, _, dep_names) in declared.items():
            resolved = []
            for index, dep in enumerate(dep_names or ()):
                if dep not in names:
                    raise table.error(
                        f"frameworks[{index}]",
                        f"unknown framework {dep!r}{did_you_mean(dep, names)}",
                        hint=_defined("frameworks", names),
                    )
                resolved.append(names[dep])
            deps[env_name] = resolved
        try:
            return graph.dependency_order(deps)
        except graph.CycleError as exc:
            first = exc.path[0]
            table = declared[first][0]
            cycle = " -> ".join(declared[e][1].name for e in exc.path)
            raise table.error(
                "frameworks", f"framework dependencies form a cycle: {cycle}"
            ) from None

    def _resolve(
        self,
        table: Table,
        fields: CommonFields,
        runtime_name: str | None,
        dep_names: list[str] | None,
        runtimes: Mapping[str, RuntimeSpec],
        frameworks: Mapping[str, FrameworkSpec],
    ) -> FrameworkSpec | ApplicationSpec:
        by_name = {fw.name: fw for fw in frameworks.values()}
        lower: list[LayerSpec]
        if runtime_name is not None:
            runtime = self._runtime_ref(table, runtime_name, runtimes)
            declared: list[str] = []
            linear: list[str] = []
            lower = [runtime]
        else:
            assert dep_names is not None
            deps = []
            for index, dep in enumerate(dep_names):
                if dep not in by_name:
                    raise table.error(
                        f"frameworks[{index}]",
                        f"unknown framework {dep!r}{did_you_mean(dep, by_name)}",
                        hint=_defined("frameworks", by_name),
                    )
                deps.append(by_name[dep])
            runtime = runtimes[deps[0].runtime]
            for index, other in enumerate(deps[1:], start=1):
                if other.runtime != runtime.env_name:
                    raise table.error(
                        f"frameworks[{index}]",
                        f"frameworks run on different runtimes: {deps[0].name!r} on "
                        f"{runtime.name!r}, {other.name!r} on {other.runtime!r}",
                        hint="All frameworks of one layer must share a runtime.",
                    )
            declared = [d.env_name for d in deps]
            try:
                linear = graph.linearise(
                    declared,
                    {fw.env_name: fw.linearised_frameworks for fw in frameworks.values()},
                )
            except graph.LinearisationError as exc:
                orders = "; ".join(
                    " > ".join(frameworks[e].name for e in seq)
                    for seq in exc.remaining
                    if len(seq) > 1  # a lone name constrains nothing
                )
                raise table.error(
                    "frameworks",
                    "the framework dependencies cannot be put in one consistent "
                    f"import order (C3 linearisation failed; conflicting orders: {orders})",
                    hint="Reorder 'frameworks' to agree with the order used by the "
                    "frameworks it depends on.",
                ) from None
            lower = [frameworks[name] for name in linear]
        inherited = _intersection(layer.platforms for layer in lower)
        platforms = self._platforms(table, fields, inherited, [x.env_name for x in lower])
        indexes = self._merge_indexes(table, fields, lower, runtime_name is not None)
        common = fields.spec_kwargs(platforms, indexes)
        common.update(
            runtime=runtime.env_name,
            frameworks=tuple(declared),
            linearised_frameworks=tuple(linear),
        )
        if fields.kind == "framework":
            return FrameworkSpec(**common)
        launch, support = read_modules(table, self.spec_path.parent)
        return ApplicationSpec(**common, launch_module=launch, support_modules=support)

    def _runtime_ref(
        self, table: Table, name: str, runtimes: Mapping[str, RuntimeSpec]
    ) -> RuntimeSpec:
        by_name = {rt.name: rt for rt in runtimes.values()}
        if name not in by_name:
            raise table.error(
                "runtime",
                f"unknown runtime {name!r}{did_you_mean(name, by_name)}",
                hint=_defined("runtimes", by_name),
            )
        return by_name[name]

    def _platforms(
        self,
        table: Table,
        fields: CommonFields,
        inherited: Sequence[str],
        lower_names: Sequence[str],
    ) -> tuple[str, ...]:
        explicit = fields.platforms
        if explicit is None:
            return tuple(inherited)
        extra = [p for p in explicit if p not in inherited]
        if extra:
            raise table.error(
                "platforms",
                f"targets platforms its lower layers are not built for: {', '.join(extra)}",
                hint=f"Lower layers ({', '.join(lower_names)}) target: "
                f"{', '.join(inherited) or 'no platform'}.",
            )
        return tuple(p for p in ALL_PLATFORMS if p in explicit)

    def _merge_indexes(
        self,
        table: Table,
        fields: CommonFields,
        lower: Sequence[LayerSpec],
        direct_runtime: bool,
    ) -> Mapping[str, str]:
        """Package -> index for the layer: lower layers' choices, then its own."""
        overrides = fields.index_overrides
        merged: dict[str, str] = {}
        sources = lower if not direct_runtime else lower[-1:]
        for layer in sources:
            if layer.kind == "runtime" and not direct_runtime:
                continue
            for package, index in layer.package_indexes.items():
                if package not in merged:
                    merged[package] = index
                elif merged[package] != overrides.get(index, index):
                    raise table.error(
                        "frameworks",
                        f"its frameworks fetch {package!r} from different package "
                        f"indexes ({merged[package]!r} and {index!r})",
                        hint=f"To accept, add index_overrides = {{ {index} = "
                        f'"{merged[package]}" }}.',
                    )
        for package, index in fields.package_indexes.items():
            below = merged.get(package)
            if below is not None and index != overrides.get(below, below):
                raise table.error(
                    f"package_indexes.{package}",
                    f"fetches {package!r} from index {index!r} but a lower layer "
                    f"fetches it from {below!r}",
                    hint=f'To accept, add index_overrides = {{ {below} = "{index}" }}.',
                )
            merged[package] = index
        return frozen_map(merged)

    def _check_unique(
        self, table: Table, name: str, seen: Mapping[str, object], kind: LayerKind
    ) -> None:
        if ENV_PREFIXES[kind] + name in seen:
            raise table.error("name", f"{kind} layer name {name!r} is used twice")

    def _check_requirements(self, table: Table, requirements: Sequence[str]) -> None:
        for index, text in enumerate(requirements):
            try:
                Requirement(text)
            except InvalidRequirement as exc:
                message = (str(exc).splitlines() or ["not a requirement"])[0]
                raise table.error(
                    f"requirements[{index}]", f"invalid requirement {text!r}: {message}"
                ) from None


_VERSION_SUFFIX_RE = re.compile(r"@[0-9]+")


def _check_deployed_names(layers: Sequence[LayerSpec]) -> None:
    """No layer's env name may be the deployed name of a versioned layer.

    A versioned layer ``framework-x`` deploys as ``framework-x@N``; another layer
    whose env name is ``framework-x@N`` would overwrite its archive and folder.
    """
    versioned = {layer.env_name for layer in layers if layer.versioned}
    for layer in layers:
        base, at, suffix = layer.env_name.rpartition("@")
        if at and base in versioned and _VERSION_SUFFIX_RE.fullmatch(at + suffix):
            raise SpecError(
                f"env name {layer.env_name!r} is also a deployed name of the versioned "
                f"layer {base!r}, so their archives would overwrite each other",
                layer=layer.env_name,
                field=f"{layer.toml_path}.name",
                hint="Rename one of the two layers.",
            )


def _intersection(platform_sets: Any) -> tuple[str, ...]:
    common = set(ALL_PLATFORMS)
    for platforms in platform_sets:
        common &= set(platforms)
    return tuple(p for p in ALL_PLATFORMS if p in common)


def _defined(kind: str, names: Mapping[str, object] | set[str]) -> str:
    listed = ", ".join(sorted(names))
    return f"Defined {kind}: {listed}." if listed else f"No {kind} are defined."
