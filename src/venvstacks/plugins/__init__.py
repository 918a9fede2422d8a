"""The plugin API: the ``hookimpl`` marker, the layer context, the manager."""

from __future__ import annotations

from venvstacks.plugins.context import LayerContext
from venvstacks.plugins.hooks import Hooks
from venvstacks.plugins.hookspecs import hookimpl
from venvstacks.plugins.manager import PluginManager

__all__ = ["Hooks", "LayerContext", "PluginManager", "hookimpl"]
