"""Publishing and exporting built layers: staging, archives, metadata."""

from __future__ import annotations

from venvstacks.export.local import ExportOptions, export_layers, run_postinstall
from venvstacks.export.publish import PublishOptions, publish_layers

__all__ = [
    "ExportOptions",
    "PublishOptions",
    "export_layers",
    "publish_layers",
    "run_postinstall",
]
