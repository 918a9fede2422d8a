"""The build step that lets a layer's binaries load libraries its lower layers ship.

After a layer's packages are installed (and the ``post_install`` hook ran), every
binary of the layer whose needed libraries are only found in lower layers gets one
``$ORIGIN``-relative search-path entry per provider folder, appended to its own
entries (the RUNPATH/RPATH kind is kept), each pointing at a link in the layer's
``share/venv/dynlib`` folder. Those links are relative symlinks to the providers'
folders in the sibling layer folders; staging rewrites them for deployed names. See
docs/design.rst, "Cross-layer native libraries", for why.

Patched files are private copies (uv installs by hard link from its cache), and the
``RECORD`` rows of patched files get their new hashes and sizes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from venvstacks.errors import BuildError
from venvstacks.fsutil import write_text_if_changed
from venvstacks.layers.layout import DynlibLink, LayerLayout, RuntimeShape, layout_for
from venvstacks.layers.records import update_records
from venvstacks.layers.venv import write_dynlib_links, write_layer_config
from venvstacks.platforms import platform_for
from venvstacks.platforms.dynlib import (
    DynlibResolution,
    Platform,
    ProviderLayer,
    SearchPathPlan,
    resolve_layer_dynlibs,
)
from venvstacks.reporting import Note, Reporter
from venvstacks.spec.model import LayerSpec, StackSpec

#: What the build found (env names only): links, uses, missing libraries.
DYNLIB_RECORD_PATH = "share/venv/metadata/venvstacks_dynlib.json"


def provider_layers(
    stack: StackSpec,
    layer: LayerSpec,
    shape: RuntimeShape,
    root: Path,
    folder_names: Mapping[str, str] | None = None,
) -> list[ProviderLayer]:
    """The lower layers of ``layer``, in linearised order, side by side in ``root``.

    ``folder_names`` maps env names to folder names (deployed names); missing
    names map to themselves, as in the build folder.
    """
    names = folder_names or {}
    return [
        ProviderLayer(
            lower.env_name,
            root / names.get(lower.env_name, lower.env_name),
            layout_for(stack, lower, shape).site_dir,
            lower.dynlib_exclude,
        )
        for lower in stack.lower_layers(layer)
    ]


def link_lower_dynlibs(
    stack: StackSpec,
    layer: LayerSpec,
    shape: RuntimeShape,
    env_dir: Path,
    layout: LayerLayout,
    reporter: Reporter,
    target_platform: str,
) -> LayerLayout:
    """Resolve, patch and link a built layer's libraries; returns the final layout.

    :raises BuildError: when lower layers expose a needed library with different
        content (every conflict listed at once).
    """
    platform = platform_for(target_platform)
    if platform is None:
        return layout
    providers = provider_layers(stack, layer, shape, env_dir.parent)
    runtime_root = env_dir.parent / stack.runtime_of(layer).env_name
    resolution = resolve_layer_dynlibs(
        env_dir, providers, platform, runtime_root=runtime_root, site_dir=layout.site_dir
    )
    if resolution.conflicts:
        listed = "; ".join(conflict.describe() for conflict in resolution.conflicts)
        raise BuildError(
            f"lower layers expose {len(resolution.conflicts)} needed librar"
            f"{'y' if len(resolution.conflicts) == 1 else 'ies'} with different "
            f"content: {listed}",
            layer=layer.env_name,
            hint="Set dynlib_exclude on all but one of the providing layers "
            "(glob patterns on library file names).",
            details=[conflict.describe() for conflict in resolution.conflicts],
        )
    for rel, names in resolution.missing.items():
        reporter.report(
            Note(
                "warning",
                f"{rel} needs {', '.join(names)}, which neither the layer, its lower "
                "layers, the runtime nor the system provides",
                layer.env_name,
            )
        )
    patched = [
        _patch(env_dir / plan.file, plan, platform)
        for plan in resolution.search_paths
        if plan.changes
    ]
    update_records(env_dir / layout.site_dir, patched)
    final = layout.with_dynlibs(resolution.links())
    write_text_if_changed(env_dir / DYNLIB_RECORD_PATH, record_json(resolution))
    write_dynlib_links(env_dir, final)
    write_layer_config(env_dir, final)
    return final


def _patch(path: Path, plan: SearchPathPlan, platform: Platform) -> Path:
    """Rewrite a private copy of ``path`` (never the shared, hard-linked file)."""
    temp = path.with_name(f".{path.name}.venvstacks-tmp")
    shutil.copy2(path, temp)
    mode = temp.stat().st_mode
    temp.chmod(mode | 0o200)
    try:
        platform.set_search_path(temp, plan.kind, plan.wanted)
        temp.chmod(mode)
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()
    return path


def record_json(resolution: DynlibResolution) -> str:
    """The build record of a resolution, as stable JSON."""
    data: dict[str, Any] = {
        "links": [list(link) for link in resolution.links()],
        "uses": [
            {
                "file": use.file,
                "library": use.library,
                "layer": use.provider.layer,
                "path": use.provider.path,
            }
            for use in resolution.uses
        ],
        "missing": {rel: list(names) for rel, names in resolution.missing.items()},
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def read_dynlib_record(env_dir: Path) -> dict[str, Any]:
    """A built layer's dynlib record (empty when the layer has none)."""
    try:
        data = json.loads((env_dir / DYNLIB_RECORD_PATH).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def recorded_links(env_dir: Path) -> tuple[DynlibLink, ...]:
    """The dynlib folder entries a built layer recorded."""
    links = read_dynlib_record(env_dir).get("links", [])
    return tuple((str(a), str(b), str(c)) for a, b, c in links)


def used_layers(env_dir: Path) -> list[str]:
    """Env names of the lower layers whose libraries a built layer uses, sorted."""
    uses = read_dynlib_record(env_dir).get("uses", [])
    return sorted({str(use["layer"]) for use in uses})
