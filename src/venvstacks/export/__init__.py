"""Publishing and exporting built layers: staging, archives, metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING

from venvstacks._lazy import lazy_exports

if TYPE_CHECKING:
    from venvstacks.export.local import ExportOptions, export_layers, run_postinstall
    from venvstacks.export.publish import PublishOptions, publish_layers

__all__ = [
    "ExportOptions",
    "PublishOptions",
    "export_layers",
    "publish_layers",
    "run_postinstall",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "ExportOptions": "venvstacks.export.local",
        "PublishOptions": "venvstacks.export.publish",
        "export_layers": "venvstacks.export.local",
        "publish_layers": "venvstacks.export.publish",
        "run_postinstall": "venvstacks.export.local",
    },
)
