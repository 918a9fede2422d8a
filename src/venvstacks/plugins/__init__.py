"""The plugin API: the ``hookimpl`` marker, the layer context, the manager."""

from __future__ import annotations

from typing import TYPE_CHECKING

from venvstacks._lazy import lazy_exports

if TYPE_CHECKING:
    from venvstacks.plugins.context import LayerContext
    from venvstacks.plugins.hooks import Hooks
    from venvstacks.plugins.hookspecs import hookimpl
    from venvstacks.plugins.manager import PluginManager

__all__ = [
    "Hooks",
    "LayerContext",
    "PluginManager",
    "hookimpl",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "Hooks": "venvstacks.plugins.hooks",
        "LayerContext": "venvstacks.plugins.context",
        "PluginManager": "venvstacks.plugins.manager",
        "hookimpl": "venvstacks.plugins.hookspecs",
    },
)
