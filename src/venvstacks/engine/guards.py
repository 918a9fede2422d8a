"""Checks that what a command reads and writes stays where it belongs.

Folders named by options (build, output, ``--local-wheels``) are checked against the
spec: a module package must not hold the build or output folder (it would be copied
into itself), and a wheel folder must not link to files outside itself or the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from venvstacks.errors import UsageError
from venvstacks.spec.model import StackSpec
from venvstacks.spec.modulefiles import links_leaving, module_overlapping


def check_folder_apart(spec: StackSpec, folder: Path, what: str) -> None:
    """Refuse a build or output folder that overlaps a launch or support module."""
    found = module_overlapping(spec, folder)
    if found is None:
        return
    app, key, path = found
    raise UsageError(
        f"the {what} {str(folder)!r} overlaps the module {str(path)!r}",
        layer=app.env_name,
        field=key,
        hint=f"Choose a {what} outside the application's modules.",
    )


def check_local_wheels(spec: StackSpec, folders: Sequence[Path]) -> None:
    """Refuse ``--local-wheels`` folders holding symlinks that lead elsewhere."""
    for folder in folders:
        leaving = links_leaving(folder, (folder, spec.spec_dir))
        if leaving:
            link, target = leaving[0]
            raise UsageError(
                f"--local-wheels {str(folder)!r} holds {str(link.name)!r}, a symlink to "
                f"{target!r} outside that folder and the project folder",
                hint="Copy the wheel into the folder instead of linking to it.",
            )
