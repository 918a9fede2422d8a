"""Where things are inside a layer folder, and the relative paths to its lower layers.

Layers always sit side by side in one parent folder (the build folder, an export
folder, a deployment). A layout is computed for a given naming of those folders: env
names in the build folder, deployed names (``name@N``) when staged for publishing.
Every path here is relative and POSIX-style, so a layout never holds an absolute path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from venvstacks._injected.schema import LAYER_CONFIG_PATH, LayerConfig
from venvstacks.platforms.formats import DYNLIB_FOLDER
from venvstacks.spec.model import ApplicationSpec, LayerSpec, RuntimeSpec, StackSpec
from venvstacks.spec.runtime_version import minor_version

#: ``(name, layer, path)`` of one entry of a layer's dynlib folder: a link named
#: ``name`` to folder ``path`` of lower layer ``layer`` (env name), or, with an empty
#: layer, a link to ``path`` inside the dynlib folder (a SONAME alias).
DynlibLink = tuple[str, str, str]


@dataclass(frozen=True)
class RuntimeShape:
    """The runtime facts a layout needs (from the runtime layer's config)."""

    python: str  # e.g. "bin/python3.11"
    site_dir: str  # e.g. "lib/python3.11/site-packages"
    py_version: str  # "3.11.7"

    @property
    def minor(self) -> str:
        """``X.Y``."""
        return minor_version(self.py_version)


@dataclass(frozen=True)
class LayerLayout:
    """The shape of one layer folder.

    ``python``, ``site_dir`` are relative to the layer folder; ``base_python`` and
    ``pylib_dirs`` are relative to the layer folder and reach into sibling folders.
    """

    env_name: str
    folder_name: str
    kind: str
    python: str
    py_version: str
    site_dir: str
    base_python: str
    pylib_dirs: tuple[str, ...]
    launch_module: str | None = None
    #: Lower layers' library folders the layer uses (relative, like ``pylib_dirs``).
    dynlib_dirs: tuple[str, ...] = ()
    #: ``(link, target)``: the symlinks of the layer's dynlib folder, relative.
    dynlib_links: tuple[tuple[str, str], ...] = ()

    @property
    def python_minor(self) -> str:
        """``X.Y``."""
        return minor_version(self.py_version)

    def config(self) -> LayerConfig:
        """The deployed layer config (``venvstacks_layer.json``), reference fields."""
        data: LayerConfig = {
            "python": self.python,
            "py_version": self.py_version,
            "base_python": self.base_python,
            "site_dir": self.site_dir,
            "pylib_dirs": list(self.pylib_dirs),
            "dynlib_dirs": list(self.dynlib_dirs),
        }
        if self.dynlib_links:
            data["dynlib_links"] = dict(self.dynlib_links)
        if self.launch_module is not None:
            data["launch_module"] = self.launch_module
        return data

    def with_dynlibs(
        self, links: Sequence[DynlibLink], folder_names: Mapping[str, str] | None = None
    ) -> LayerLayout:
        """This layout with the given dynlib folder entries (see :data:`DynlibLink`)."""
        names = folder_names or {}
        up = "/".join([".."] * len(DYNLIB_FOLDER.split("/")))
        dirs: list[str] = []
        pairs: list[tuple[str, str]] = []
        for name, layer, path in sorted(links):
            if layer:
                folder = f"../{names.get(layer, layer)}/{path}"
                if folder not in dirs:
                    dirs.append(folder)
                pairs.append((f"{DYNLIB_FOLDER}/{name}", f"{up}/{folder}"))
            else:
                pairs.append((f"{DYNLIB_FOLDER}/{name}", path))
        return replace(self, dynlib_dirs=tuple(dirs), dynlib_links=tuple(pairs))

    def config_json(self) -> str:
        """The deployed layer config as stable JSON text."""
        return json.dumps(self.config(), indent=2, sort_keys=True) + "\n"


def layout_for(
    stack: StackSpec,
    layer: LayerSpec,
    runtime: RuntimeShape,
    folder_names: Mapping[str, str] | None = None,
) -> LayerLayout:
    """The layout of ``layer`` when layers live in folders named by ``folder_names``.

    ``folder_names`` maps env names to folder names; missing names map to themselves.
    """
    names = folder_names or {}

    def folder(env_name: str) -> str:
        return names.get(env_name, env_name)

    if isinstance(layer, RuntimeSpec):
        return LayerLayout(
            env_name=layer.env_name,
            folder_name=folder(layer.env_name),
            kind=layer.kind,
            python=runtime.python,
            py_version=runtime.py_version,
            site_dir=runtime.site_dir,
            base_python=runtime.python,
            pylib_dirs=(),
        )
    runtime_folder = folder(stack.runtime_of(layer).env_name)
    site_dir = f"lib/python{runtime.minor}/site-packages"
    pylib_dirs = [
        f"../{folder(lower.env_name)}/{site_dir}"
        for lower in stack.lower_layers(layer)
        if not isinstance(lower, RuntimeSpec)
    ]
    pylib_dirs.append(f"../{runtime_folder}/{runtime.site_dir}")
    launch = layer.launch_module_name if isinstance(layer, ApplicationSpec) else None
    return LayerLayout(
        env_name=layer.env_name,
        folder_name=folder(layer.env_name),
        kind=layer.kind,
        python="bin/python",
        py_version=runtime.py_version,
        site_dir=site_dir,
        base_python=f"../{runtime_folder}/{runtime.python}",
        pylib_dirs=tuple(pylib_dirs),
        launch_module=launch,
    )


def read_runtime_shape(env_dir: Path) -> RuntimeShape | None:
    """The shape of a built runtime layer, from its layer config (None if absent)."""
    try:
        config = json.loads((env_dir / LAYER_CONFIG_PATH).read_text("utf-8"))
        return runtime_shape_from_config(config)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def runtime_shape_from_config(config: Mapping[str, Any]) -> RuntimeShape:
    """Read a runtime layer's shape back from its ``venvstacks_layer.json`` data."""
    return RuntimeShape(
        python=str(config["python"]),
        site_dir=str(config["site_dir"]),
        py_version=str(config["py_version"]),
    )
