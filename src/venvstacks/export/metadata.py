"""Published layer metadata: ``__venvstacks__/venvstacks.json`` and ``env_metadata/``.

Field names follow the reference venvstacks so existing metadata consumers work;
our additions are listed in :data:`EXTRA_FIELDS`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from venvstacks._injected.schema import ENV_METADATA_DIR, MANIFEST_NAME, METADATA_DIR
from venvstacks.fsutil import write_text_if_changed
from venvstacks.layers.dynlibs import used_layers
from venvstacks.layers.modules import module_hash
from venvstacks.spec.model import (
    ApplicationSpec,
    LayeredSpec,
    LayerSpec,
    RuntimeSpec,
    StackSpec,
)
from venvstacks.uvtool import uv_version
from venvstacks.version import tool_version

if TYPE_CHECKING:
    from venvstacks.export.plan import LayerPlan

CATEGORIES = {
    "runtime": "runtimes",
    "framework": "frameworks",
    "application": "applications",
}

#: Fields venvstacks adds to the reference's layer metadata.
EXTRA_FIELDS = (
    "venvstacks_version",  # the tool that published the layer
    "uv_version",  # the uv that locked and installed it
    "plugins",  # third-party plugins whose hooks ran for the layer (they can change bytes)
    "runtime_source",  # runtime layers: "local" (adopted) or "download" (standalone)
    "runtime_portable",  # runtime layers: false when it needs the host's system libraries
    "archive_format",  # published archives: xz, gz, zst or zip
    "bytecode",  # published archives: "unchecked-hash" .pyc shipped, or null (none)
    "inputs_hash",  # what the archive/export was made from (decides rebuilds)
    "dynlib_layers",  # layered: lower layers whose shared libraries its binaries load
)


def to_json(data: Mapping[str, Any]) -> str:
    """Stable JSON text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def layer_metadata(
    plan: LayerPlan, spec: StackSpec, names: Mapping[str, str], plugins: Sequence[str]
) -> dict[str, Any]:
    """The metadata fields shared by published archives and local exports."""
    layer, lock = plan.layer, plan.lock
    runtime = spec.runtime_of(layer)
    data: dict[str, Any] = {
        "layer_name": layer.env_name,
        "install_target": names[layer.env_name],
        "requirements_hash": lock.requirements_hash,
        "lock_version": lock.lock_version,
        "locked_at": lock.locked_at,
        "runtime_layer": names[runtime.env_name],
        "python_implementation": plan.python_implementation,
        "bound_to_implementation": isinstance(layer, RuntimeSpec),
        "venvstacks_version": tool_version(),
        "uv_version": uv_version(),
        "plugins": sorted(plugins),
    }
    if isinstance(layer, RuntimeSpec):
        data["runtime_source"] = lock.runtime_source
        data["runtime_portable"] = lock.runtime_source != "local"
    if isinstance(layer, LayeredSpec):
        data["required_layers"] = [names[name] for name in layer.linearised_frameworks]
        used = used_layers(plan.env_dir)
        data["dynlib_layers"] = [names[name] for name in used]
    if isinstance(layer, ApplicationSpec):
        data["app_launch_module"] = layer.launch_module_name
        data["app_launch_module_hash"] = module_hash(layer.launch_module, spec.spec_dir)
        if layer.support_modules:
            data["app_support_modules"] = [
                {
                    "name": path.stem if path.suffix == ".py" else path.name,
                    "hash": module_hash(path, spec.spec_dir),
                }
                for path in layer.support_modules
            ]
    return data


class MetadataFolder:
    """The ``__venvstacks__`` folder of an output folder."""

    def __init__(self, output_dir: Path, platform_tag: str = "") -> None:
        self.root = output_dir / METADATA_DIR
        self.platform_tag = platform_tag

    def env_path(self, env_name: str) -> Path:
        """Where one layer's metadata goes."""
        return self.root / ENV_METADATA_DIR / f"{env_name}{self.platform_tag}.json"

    @property
    def manifest_path(self) -> Path:
        """Where the whole stack's metadata goes."""
        stem, _, suffix = MANIFEST_NAME.partition(".")
        return self.root / f"{stem}{self.platform_tag}.{suffix}"

    def read_env(self, env_name: str) -> dict[str, Any] | None:
        """A layer's previous metadata, if any."""
        try:
            data = json.loads(self.env_path(env_name).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def forget_env(self, env_name: str) -> None:
        """Remove a layer's metadata before its output is replaced.

        An output interrupted half-way then has no metadata, so the next run redoes
        it rather than trusting it.
        """
        self.env_path(env_name).unlink(missing_ok=True)

    def write_env(self, data: Mapping[str, Any]) -> Path:
        """Write one layer's metadata."""
        path = self.env_path(str(data["layer_name"]))
        write_text_if_changed(path, to_json(data))
        return path

    def write_manifest(self, layers: Sequence[LayerSpec]) -> Path:
        """Write the stack summary from every layer's metadata present in the folder.

        Layers published earlier (and not selected this time) stay listed.
        """
        summary: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES.values()}
        for layer in layers:
            data = self.read_env(layer.env_name)
            if data is not None:
                summary[CATEGORIES[layer.kind]].append(data)
        path = self.manifest_path
        write_text_if_changed(path, to_json({"layers": summary}))
        return path
