"""The plugin manager: built-ins, entry points and ``-p`` modules.

A failing hook becomes a HookError naming the plugin whose code raised.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pluggy

from venvstacks.errors import HookError, UsageError, VenvStacksError
from venvstacks.plugins import hookspecs
from venvstacks.plugins.context import LayerContext

ENTRY_POINT_GROUP = "venvstacks"
PLUGINS_ENV_VAR = "VENVSTACKS_PLUGINS"
BUILTIN_PREFIX = "venvstacks."

#: Hooks whose implementations can change a layer's files or locks.
CONTENT_HOOKS = ("venvstacks_pre_lock", "venvstacks_post_install", "venvstacks_pre_archive")


def plugin_names_from_env(environ: Mapping[str, str] | None = None) -> list[str]:
    """Module names listed in ``VENVSTACKS_PLUGINS`` (comma or space separated)."""
    value = (environ if environ is not None else os.environ).get(PLUGINS_ENV_VAR, "")
    return [name for name in re.split(r"[\s,]+", value) if name]


def entry_points_declared(group: str) -> bool:
    """Whether any distribution on ``sys.path`` declares entry points in ``group``.

    A cheap scan of ``*.dist-info``/``*.egg-info`` ``entry_points.txt`` files, so that
    :mod:`importlib.metadata` (tens of milliseconds to import) is only loaded when
    there is a plugin to load.
    """
    header = f"[{group}]"
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as listing:
                folders = [
                    item.path
                    for item in listing
                    if item.name.endswith((".dist-info", ".egg-info"))
                ]
        except NotADirectoryError:
            return True  # a zip archive on sys.path: let importlib.metadata look
        except OSError:
            continue
        for folder in folders:
            try:
                text = Path(folder, "entry_points.txt").read_text("utf-8", "replace")
            except OSError:
                continue
            if any(line.strip() == header for line in text.splitlines()):
                return True
    return False


class PluginManager:
    """Holds every active plugin and calls hooks on behalf of the engine.

    Built-in behaviour (runtime providers) is registered here exactly like third-party
    plugins, under names starting with ``venvstacks.``.
    """

    def __init__(
        self,
        modules: Sequence[str] = (),
        *,
        objects: Iterable[object] = (),
        entry_points: bool = True,
        builtins: bool = True,
    ) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._ran: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._builtins: list[object] = []
        if builtins:
            from venvstacks.runtimes import providers

            for name, plugin in providers.builtin_plugins():
                self._pm.register(plugin, name=BUILTIN_PREFIX + name)
                self._builtins.append(plugin)
        if entry_points and entry_points_declared(ENTRY_POINT_GROUP):
            try:
                self._pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
            except Exception as exc:
                raise HookError(
                    f"a plugin from the {ENTRY_POINT_GROUP!r} entry-point group "
                    f"failed to load: {type(exc).__name__}: {exc}"
                ) from exc
        for module_name in modules:
            self.register_module(module_name)
        for plugin in objects:
            self.register(plugin)

    def use_uv_settings(self, settings: object) -> None:
        """Give the built-in plugins the uv settings of the engine run using them."""
        for plugin in self._builtins:
            if hasattr(plugin, "settings"):
                plugin.settings = settings

    def register_module(self, module_name: str) -> None:
        """Import a module by name and register it as a plugin."""
        if self._pm.has_plugin(module_name):
            return
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise UsageError(
                f"cannot load plugin module {module_name!r}: {type(exc).__name__}: {exc}",
                plugin=module_name,
                hint="Check the name given with -p/--plugin or VENVSTACKS_PLUGINS, "
                "and that the module is importable by this Python.",
            ) from None
        self._register(module, module_name)

    def register(self, plugin: object, name: str | None = None) -> None:
        """Register an already-imported plugin object or module."""
        self._register(plugin, name or _default_name(plugin))

    def _register(self, plugin: object, name: str) -> None:
        try:
            self._pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise HookError(
                f"plugin {name!r} cannot be registered: {exc}", plugin=name
            ) from None

    def plugin_names(self, *, include_builtins: bool = False) -> list[str]:
        """Names of registered plugins, sorted."""
        names = [name for name, _ in self._pm.list_name_plugin() if name]
        if not include_builtins:
            names = [n for n in names if not n.startswith(BUILTIN_PREFIX)]
        return sorted(names)

    def implementers(self, hook_name: str) -> list[str]:
        """Names of the non-built-in plugins implementing a hook, sorted."""
        caller = getattr(self._pm.hook, hook_name)
        return sorted(
            impl.plugin_name
            for impl in caller.get_hookimpls()
            if not impl.plugin_name.startswith(BUILTIN_PREFIX)
        )

    def plugins_that_ran(self, layer_name: str) -> list[str]:
        """Non-built-in plugins whose content hooks were called for a layer, sorted."""
        with self._lock:
            return sorted(self._ran.get(layer_name, ()))

    def call(self, hook_name: str, layer: LayerContext, **kwargs: Any) -> Any:
        """Call a hook for a layer; any plugin failure becomes a :class:`HookError`."""
        caller = getattr(self._pm.hook, hook_name)
        impls = caller.get_hookimpls()
        if hook_name in CONTENT_HOOKS:
            names = {
                impl.plugin_name
                for impl in impls
                if not impl.plugin_name.startswith(BUILTIN_PREFIX)
            }
            with self._lock:
                self._ran.setdefault(layer.name, set()).update(names)
        try:
            return caller(layer=layer, **kwargs)
        except VenvStacksError as exc:
            if exc.plugin is None:
                exc.plugin = _culprit(exc.__traceback__, impls)
            exc.hook = exc.hook or hook_name
            exc.layer = exc.layer or layer.name
            raise
        except Exception as exc:
            plugin = _culprit(exc.__traceback__, impls)
            raise HookError(
                f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__,
                plugin=plugin,
                hook=hook_name,
                layer=layer.name,
                hint="The plugin failed; fix or remove it.",
            ) from exc


def _default_name(plugin: object) -> str:
    name = getattr(plugin, "__name__", None)
    if isinstance(name, str):
        return name
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}"


def _culprit(tb: TracebackType | None, impls: Sequence[Any]) -> str | None:
    """The plugin whose implementation is the innermost frame of a traceback."""
    codes = {}
    for impl in impls:
        function = getattr(impl.function, "__func__", impl.function)
        code = getattr(function, "__code__", None)
        if code is not None:
            codes[code] = impl.plugin_name
    culprit = None
    while tb is not None:
        culprit = codes.get(tb.tb_frame.f_code, culprit)
        tb = tb.tb_next
    return culprit
