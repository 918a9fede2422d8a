"""``dynlib``: every binary in a layer finds the shared libraries it needs.

Resolution is :func:`venvstacks.platforms.dynlib.resolve_layer_dynlibs`, the same
function the build uses to link lower layers' libraries: a library counts as found
through the file's own search path, the runtime, the system, or a lower layer. For a
library taken from a lower layer the check then verifies the stack's mechanism is in
place, as the loader will meet it: the file's search path holds the planned entries
and the link in the layer's ``share/venv/dynlib`` reaches the library.

A library needed by a library in the same folder (auditwheel's ``<pkg>.libs``
folders, whose libraries have no search path of their own) counts as found: the
loader finds it through the ``RPATH`` of the extension module that loads them, which
is inherited by their dependencies. Wheels such as scipy ship such leftovers that no
extension loads; reporting them would be a false alarm.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from pathlib import Path

from venvstacks.checks.model import CheckResult, LayerFolder, failed, passed, skipped
from venvstacks.platforms import DYNLIB_FOLDER, platform_for
from venvstacks.platforms.dynlib import (
    DynlibResolution,
    ProviderLayer,
    resolve_layer_dynlibs,
)

CHECK = "dynlib"


def problems(layer_root: Path, resolution: DynlibResolution) -> list[str]:
    """What the loader will not find, one line per file and cause."""
    lines = []
    for file, names in resolution.missing.items():
        folder = (layer_root / file).parent
        absent = [name for name in names if not (folder / name).exists()]
        if absent:
            lines.append(
                f"{file} needs {', '.join(absent)}: no layer, runtime or system library "
                "provides it"
            )
    lines += [f"lower layers disagree: {c.describe()}" for c in resolution.conflicts]
    lines += [
        f"{plan.file} lacks the search path entries {', '.join(plan.added)}"
        for plan in resolution.search_paths
        if plan.changes
    ]
    for use in resolution.uses:
        name = posixpath.basename(use.provider.path)
        link = (
            f"{DYNLIB_FOLDER}/{use.library}"
            if use.by_soname
            else f"{DYNLIB_FOLDER}/{use.provider.slot}/{name}"
        )
        if not (layer_root / link).exists():
            lines.append(
                f"{use.file} needs {use.library} from {use.provider.layer}, but {link} "
                "does not reach it"
            )
    return lines


def check_dynlib(
    layer: LayerFolder,
    providers: Sequence[ProviderLayer],
    runtime_root: Path,
    target_platform: str,
) -> CheckResult:
    """Run the ``dynlib`` check on a built layer.

    :param providers: the layer's lower layers in linearised order (runtime last).
    :param runtime_root: the runtime layer's folder.
    """
    platform = platform_for(target_platform)
    if platform is None:
        return skipped(CHECK, layer.env_name, f"not implemented for {target_platform}")
    resolution = resolve_layer_dynlibs(
        layer.path,
        providers,
        platform,
        runtime_root=runtime_root,
        site_dir=layer.site_dir,
    )
    found = problems(layer.path, resolution)
    details = [
        f"{use.file} loads {use.library} from {use.provider.layer}"
        for use in resolution.uses
    ]
    if found:
        return failed(
            CHECK,
            layer.env_name,
            f"{len(found)} shared librar{'y' if len(found) == 1 else 'ies'} in this layer "
            "will not load: "
            + "; ".join(found[:20])
            + (f"; and {len(found) - 20} more" if len(found) > 20 else "")
            + ". Add the distribution that ships the library to this layer or a layer "
            "below it (or install it on the system), and rebuild.",
            [*found, *details],
        )
    return passed(
        CHECK,
        layer.env_name,
        f"every needed library resolves ({len(resolution.uses)} from lower layers)",
        details,
    )
