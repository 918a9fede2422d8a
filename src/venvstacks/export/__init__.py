"""Publishing and exporting built layers: staging, the two output targets, metadata.

The engine (:mod:`venvstacks.engine.publishing`) runs the pipeline; this package
never imports the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from venvstacks._lazy import lazy_exports

if TYPE_CHECKING:
    from venvstacks.export.local import ExportOptions, FolderTarget, run_postinstall
    from venvstacks.export.publish import ArchiveTarget, PublishOptions
    from venvstacks.export.target import Decision, OutputTarget

__all__ = [
    "ArchiveTarget",
    "Decision",
    "ExportOptions",
    "FolderTarget",
    "OutputTarget",
    "PublishOptions",
    "run_postinstall",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "ArchiveTarget": "venvstacks.export.publish",
        "Decision": "venvstacks.export.target",
        "ExportOptions": "venvstacks.export.local",
        "FolderTarget": "venvstacks.export.local",
        "OutputTarget": "venvstacks.export.target",
        "PublishOptions": "venvstacks.export.publish",
        "run_postinstall": "venvstacks.export.local",
    },
)
