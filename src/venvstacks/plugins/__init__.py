"""The plugin API: the ``hookimpl`` marker, the layer context, the manager."""

from __future__ import annotations

import pluggy

from venvstacks.plugins.context import LayerContext
from venvstacks.plugins.hookspecs import PROJECT_NAME
from venvstacks.plugins.manager import PluginManager

#: Decorate hook implementations with this marker.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["LayerContext", "PluginManager", "hookimpl"]
