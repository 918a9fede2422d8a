"""Which layers a command touches, and which operations each one gets.

The rules are the reference venvstacks 0.8 ones:

- ``--include`` globs pick the *included* layers (all enabled layers when none are
  given); a pattern that matches nothing is a usage error unless ``allow_missing``
  turns it into a warning. ``--reset-lock`` patterns are checked the same way.
- Layers built on an included layer are *derived*. Locking an included layer always
  relocks its derived layers; ``build_derived`` / ``publish_derived`` add them to the
  build / publish.
- Layers an included layer runs on are *dependencies*. They may always be locked and
  built *if needed* (missing or stale); the ``*_dependencies`` flags make that an
  unconditional lock / build, and add them to the publish.
- A later step never runs where an earlier one was skipped on purpose: no build or
  publish of dependencies that are not relocked when locking, no publish of layers
  that are not built when building.
- Building and publishing only happen for layers that target this platform; layers
  that target no platform at all are left out entirely.

This module is plain logic over the spec: it reads no files.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, TypeAlias

from venvstacks.errors import UsageError
from venvstacks.spec.model import LayerSpec, StackSpec

#: ``True``: do it; ``None``: do it if needed (missing or stale); ``False``: don't.
OpFlag: TypeAlias = bool | None
Role: TypeAlias = Literal["included", "derived", "dependency"]


@dataclass(frozen=True)
class SelectionRequest:
    """What a command asks for, in the reference's terms."""

    include: tuple[str, ...] = ()
    reset_lock: tuple[str, ...] = ()
    allow_missing: bool = False
    lock: OpFlag = False
    build: OpFlag = False
    publish: bool = False
    lock_dependencies: bool = False
    build_dependencies: bool = False
    publish_dependencies: bool = False
    build_derived: bool = False
    publish_derived: bool = False
    #: The steps the command performs at all: related layers get no other step
    #: (the reference would list e.g. ``build-if-needed`` for ``lock``).
    steps: frozenset[str] = frozenset({"lock", "build", "publish"})


@dataclass(frozen=True)
class LayerOperations:
    """The operations one layer gets."""

    env_name: str
    role: Role
    lock: OpFlag
    build: OpFlag
    publish: bool
    reset_lock: bool = False

    def labels(self) -> list[str]:
        """``reset-lock``, ``lock``/``lock-if-needed``, ``build``…, ``publish``."""
        labels = ["reset-lock"] if self.reset_lock else []
        for name, flag in (("lock", self.lock), ("build", self.build)):
            if flag:
                labels.append(name)
            elif flag is None:
                labels.append(f"{name}-if-needed")
        if self.publish:
            labels.append("publish")
        return labels


@dataclass(frozen=True)
class OperationPlan:
    """Every layer a command touches (stack order) with its operations."""

    layers: tuple[LayerOperations, ...]
    warnings: tuple[str, ...] = ()

    def get(self, env_name: str) -> LayerOperations | None:
        """A layer's operations, None when the command leaves it alone."""
        for ops in self.layers:
            if ops.env_name == env_name:
                return ops
        return None

    def to_lock(self) -> tuple[str, ...]:
        """Layers that are locked, or locked if needed."""
        return tuple(x.env_name for x in self.layers if x.lock is not False)

    def lock_if_needed(self) -> frozenset[str]:
        """Layers whose lock is kept when it is still valid."""
        return frozenset(x.env_name for x in self.layers if x.lock is None)

    def to_reset(self) -> frozenset[str]:
        """Layers whose kept pins are discarded before locking."""
        return frozenset(
            x.env_name for x in self.layers if x.reset_lock and x.lock is not False
        )

    def to_build(self) -> tuple[str, ...]:
        """Layers that are built, or built if needed."""
        return tuple(x.env_name for x in self.layers if x.build is not False)

    def build_forced(self) -> frozenset[str]:
        """Layers built unconditionally (``--clean`` applies to these)."""
        return frozenset(x.env_name for x in self.layers if x.build)

    def to_publish(self) -> tuple[str, ...]:
        """Layers that are published (or exported)."""
        return tuple(x.env_name for x in self.layers if x.publish)


def match_patterns(
    layers: Sequence[LayerSpec], patterns: Iterable[str], option: str, allow_missing: bool
) -> tuple[set[str], list[str]]:
    """Env names matching any glob, and warnings for patterns that match none.

    Raises :class:`UsageError` for an unmatched pattern unless ``allow_missing``.
    """
    matched: set[str] = set()
    warnings: list[str] = []
    for pattern in patterns:
        hits = {x.env_name for x in layers if fnmatch.fnmatchcase(x.env_name, pattern)}
        if not hits:
            message = f"{option} {pattern!r} matches no layer"
            if not allow_missing:
                raise UsageError(
                    message,
                    hint="Layer names: "
                    + ", ".join(x.env_name for x in layers)
                    + ". Pass --allow-missing to make this a warning.",
                )
            warnings.append(message)
        matched |= hits
    return matched, warnings


def plan_operations(
    spec: StackSpec, request: SelectionRequest, target_platform: str
) -> OperationPlan:
    """Apply the selection rules to a stack (see the module documentation)."""
    layers = tuple(x for x in spec.layers() if x.enabled)
    warnings: list[str] = []
    if request.include:
        included, missed = match_patterns(
            layers, request.include, "--include", request.allow_missing
        )
        warnings += missed
    else:
        included = {x.env_name for x in layers}
    reset, missed = match_patterns(
        layers, request.reset_lock, "--reset-lock", request.allow_missing
    )
    warnings += missed
    r = _consistent(request)
    lock_derived = bool(r.lock)
    derived: set[str] = set()
    dependencies: set[str] = set()
    for layer in layers:
        if layer.env_name in included:
            dependencies.update(x.env_name for x in spec.lower_layers(layer))
            if lock_derived or r.build_derived or r.publish_derived:
                derived.update(x.env_name for x in spec.dependents(layer))
    derived -= included
    dependencies -= included
    _check_conflicts(derived & dependencies, r, lock_derived)
    chosen: list[LayerOperations] = []
    for layer in layers:
        name = layer.env_name
        resets = name in reset
        if name in included:
            ops = LayerOperations(name, "included", r.lock, r.build, r.publish, resets)
        elif name in derived:
            ops = LayerOperations(
                name,
                "derived",
                lock_derived,
                r.build_derived,
                r.publish_derived,
                resets and lock_derived,
            )
        elif name in dependencies:
            ops = LayerOperations(
                name,
                "dependency",
                r.lock_dependencies or None,
                r.build_dependencies or None,
                r.publish_dependencies,
                resets and r.lock_dependencies,
            )
        else:
            continue
        ops = _for_platform(layer, _only(ops, request.steps), target_platform)
        if ops.role == "included" or ops.labels():
            chosen.append(ops)
    return OperationPlan(tuple(chosen), tuple(warnings))


def _consistent(request: SelectionRequest) -> SelectionRequest:
    """Switch off related-layer steps whose earlier step is skipped."""
    r = request
    if r.lock:
        if not r.lock_dependencies:
            r = replace(r, build_dependencies=False, publish_dependencies=False)
    else:
        r = replace(r, lock_dependencies=False)
    if r.build:
        if not r.build_dependencies:
            r = replace(r, publish_dependencies=False)
        if not r.build_derived:
            r = replace(r, publish_derived=False)
    else:
        r = replace(r, build_derived=False, build_dependencies=False)
    if not r.publish:
        r = replace(r, publish_derived=False, publish_dependencies=False)
    return r


def _check_conflicts(both: set[str], r: SelectionRequest, lock_derived: bool) -> None:
    """A layer both above and below included layers needs one set of instructions."""
    if not both:
        return
    for step, derived, dependency in (
        ("lock", lock_derived, r.lock_dependencies),
        ("build", r.build_derived, r.build_dependencies),
        ("publish", r.publish_derived, r.publish_dependencies),
    ):
        if derived != dependency:
            raise UsageError(
                f"conflicting {step} instructions for {', '.join(sorted(both))}: "
                "above one included layer and below another",
                hint=f"Pass both --{step}-derived and --{step}-dependencies or neither"
                if step != "lock"
                else "Pass --lock-dependencies, or include those layers too.",
            )


def _only(ops: LayerOperations, steps: frozenset[str]) -> LayerOperations:
    return replace(
        ops,
        lock=ops.lock if "lock" in steps else False,
        build=ops.build if "build" in steps else False,
        publish=ops.publish and "publish" in steps,
        reset_lock=ops.reset_lock and "lock" in steps,
    )


def _for_platform(
    layer: LayerSpec, ops: LayerOperations, target_platform: str
) -> LayerOperations:
    """Locking is cross-platform; building and publishing are for this platform."""
    if layer.targets(target_platform):
        return ops
    return replace(ops, build=False, publish=False)
