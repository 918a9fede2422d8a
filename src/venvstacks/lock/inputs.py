"""Everything that determines a layer's lock, and its hash.

A lock is valid while the hash of its inputs matches the one recorded when it was
made. Inputs are what changes the resolution: the requirements (after plugins), the
runtime's Python ``X.Y`` (a patch release changes nothing), the target platforms and
their ``linux_target`` / ``macosx_target`` bounds, the pins of lower layers and the
stack's uv settings; for versioned applications also their launch and support modules
(a change bumps the lock version). Where packages come from on this machine
(``--local-wheels``, ``--no-index``) is not an input.

Two hashes are kept: :meth:`LockInputs.digest` over everything, and
:meth:`LockInputs.dependency_digest` over what the layers above depend on (leaving
out the targets and modules). A layer whose dependency inputs changed makes every
layer above it stale; a target or module change affects that layer only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from packaging.utils import canonicalize_name

from venvstacks.lock.files import LOCK_FORMAT, InheritedPackage, LockedPackage, sha256_text
from venvstacks.spec.model import (
    IndexDefinition,
    LayerSpec,
    RuntimeSpec,
    StackSpec,
)


@dataclass(frozen=True)
class LockInputs:
    """The inputs of one layer's lock."""

    env_name: str
    requirements: tuple[str, ...]
    python_minor: str
    #: Runtime layers only: the spec's request (``cpython@3.11``).
    runtime_request: str | None
    platforms: tuple[str, ...]
    #: Pins of packages lower layers install (``name==version ; marker``).
    constraints: tuple[str, ...]
    #: Normalised package name -> the lower layer package it resolves to.
    provided: Mapping[str, InheritedPackage] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: The layer's ``[tool.uv]`` settings (indexes, sources, no-build, ...).
    uv_settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: ``linux_target`` / ``macosx_target`` where the spec sets them.
    targets: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Versioned applications: the hash of their launch and support modules.
    version_inputs: tuple[str, ...] = ()

    def _document(self, *, everything: bool) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format": LOCK_FORMAT,
            "env_name": self.env_name,
            "requirements": list(self.requirements),
            "python": self.python_minor,
            "runtime_request": self.runtime_request,
            "constraints": list(self.constraints),
            "uv": self.uv_settings,
        }
        if everything:
            document["platforms"] = list(self.platforms)
            if self.targets:
                document["targets"] = dict(self.targets)
            if self.version_inputs:
                document["version"] = list(self.version_inputs)
        return document

    def digest(self) -> str:
        """``sha256:<hex>`` over the canonical JSON form of the inputs."""
        return sha256_text(
            json.dumps(self._document(everything=True), sort_keys=True, default=str)
        )

    def dependency_digest(self) -> str:
        """The digest of the inputs the layers above depend on."""
        return sha256_text(
            json.dumps(self._document(everything=False), sort_keys=True, default=str)
        )

    def version_digest(self) -> str:
        """The digest of the inputs that only version a versioned layer."""
        return sha256_text(json.dumps(list(self.version_inputs)))


def lower_layer_packages(
    stack: StackSpec,
    layer: LayerSpec,
    packages_of: Mapping[str, Sequence[LockedPackage]],
) -> tuple[list[LockedPackage], dict[str, InheritedPackage]]:
    """Packages visible from lower layers, first provider in import order winning.

    ``packages_of`` maps env names to the packages their locks install. Returns the
    pins to use as constraints and, per normalised name, where each package comes from.
    """
    pins: list[LockedPackage] = []
    provided: dict[str, InheritedPackage] = {}
    for lower in stack.lower_layers(layer):
        shadowed_here: set[str] = set()
        for package in packages_of.get(lower.env_name, ()):
            name = canonicalize_name(package.name)
            if name in provided and name not in shadowed_here:
                continue  # a higher-priority layer already provides it
            shadowed_here.add(name)
            provided.setdefault(
                name, InheritedPackage(name, package.version, lower.env_name)
            )
            pins.append(package)
    return pins, provided


def layer_uv_settings(stack: StackSpec, layer: LayerSpec) -> dict[str, Any]:
    """The ``[tool.uv]`` table a layer is locked with (without machine-local paths)."""
    settings: dict[str, Any] = dict(stack.uv.settings)
    settings.setdefault("no-build", True)
    indexes = _layer_indexes(stack, layer)
    if indexes:
        settings["index"] = indexes
    sources = dict(stack.uv.sources)
    sources.update(layer.package_indexes)
    if sources:
        settings["sources"] = {
            name: {"index": index} for name, index in sorted(sources.items())
        }
    return settings


def _layer_indexes(stack: StackSpec, layer: LayerSpec) -> list[dict[str, Any]]:
    """The indexes a layer is locked with, in priority order.

    First the layer's priority indexes, then explicit indexes its sources need, then
    the stack's usual (default or non-explicit) indexes.
    """

    def table(index: IndexDefinition, **changes: Any) -> dict[str, Any]:
        return {**index.table, **changes}

    priority = [stack.uv.index(name) for name in layer.priority_indexes]
    result = [table(index, explicit=False) for index in priority if index is not None]
    used = set(layer.priority_indexes)
    needed = sorted(set(stack.uv.sources.values()) | set(layer.package_indexes.values()))
    for name in needed:
        index = stack.uv.index(name)
        if index is not None and name not in used and index.explicit:
            result.append(table(index))
            used.add(name)
    for index in stack.uv.indexes:
        if index.name in used:
            continue
        if index.default or not index.explicit:
            result.append(table(index))
            if index.name:
                used.add(index.name)
    return result


def python_minor_of(stack: StackSpec, layer: LayerSpec) -> str:
    """The ``X.Y`` Python version a layer is locked for."""
    return stack.runtime_of(layer).python_implementation.minor


def make_inputs(
    stack: StackSpec,
    layer: LayerSpec,
    requirements: Sequence[str],
    packages_of: Mapping[str, Sequence[LockedPackage]],
    version_inputs: Sequence[str] = (),
) -> LockInputs:
    """Collect a layer's lock inputs."""
    pins, provided = lower_layer_packages(stack, layer, packages_of)
    request = None
    if isinstance(layer, RuntimeSpec):
        implementation = layer.python_implementation
        request = f"{implementation.implementation}@{implementation.minor}"
    targets = {
        key: value
        for key, value in (
            ("linux_target", layer.linux_target),
            ("macosx_target", layer.macosx_target),
        )
        if value is not None
    }
    return LockInputs(
        env_name=layer.env_name,
        requirements=tuple(requirements),
        python_minor=python_minor_of(stack, layer),
        runtime_request=request,
        platforms=layer.platforms,
        constraints=tuple(sorted(pin.pin() for pin in pins)),
        provided=MappingProxyType(provided),
        uv_settings=MappingProxyType(layer_uv_settings(stack, layer)),
        targets=MappingProxyType(targets),
        version_inputs=tuple(version_inputs),
    )
