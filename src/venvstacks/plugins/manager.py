"""The plugin manager: built-ins, entry points and ``-p`` modules.

Hooks are fired through :attr:`PluginManager.hooks` (the typed facade). A failing hook
becomes a HookError naming the plugin whose code raised; a plugin implementing a hook
that does not exist (a misspelled name) is refused when it is registered.
"""

from __future__ import annotations

import difflib
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
from venvstacks.plugins.hooks import Hooks

ENTRY_POINT_GROUP = "venvstacks"
PLUGINS_ENV_VAR = "VENVSTACKS_PLUGINS"
BUILTIN_PREFIX = "venvstacks."

#: Hooks whose implementations can change a layer's files or locks.
CONTENT_HOOKS = ("venvstacks_pre_lock", "venvstacks_post_install", "venvstacks_pre_archive")


def plugin_names_from_env(environ: Mapping[str, str] | None = None) -> list[str]:
    """Module names listed in ``VENVSTACKS_PLUGINS`` (comma or space separated)."""
    value = (environ if environ is not None else os.environ).get(PLUGINS_ENV_VAR, "")
    return [name for name in re.split(r"[\s,]+", value) if name]


class _Pluggy(pluggy.PluginManager):
    """pluggy's manager, reading built-in plugins' unmarked methods as ``trylast`` hooks."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.builtin_ids: set[int] = set()

    def parse_hookimpl_opts(self, plugin: object, name: str) -> Any:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and id(plugin) in self.builtin_ids and name in hookspecs.HOOK_NAMES:
            return {
                "wrapper": False,
                "hookwrapper": False,
                "optionalhook": False,
                "tryfirst": False,
                "trylast": True,
                "specname": None,
            }
        return opts


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
    """Holds every active plugin; the engine fires hooks through :attr:`hooks`.

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
        self._pm = _Pluggy()
        self._pm.add_hookspecs(hookspecs)
        #: The typed hook facade: the only way hooks are fired.
        self.hooks = Hooks(self._fire)
        self._ran: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._builtins: list[object] = []
        if builtins:
            from venvstacks.runtimes import providers

            for name, plugin in providers.builtin_plugins():
                self._pm.builtin_ids.add(id(plugin))
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
            self.check_pending()
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
        try:
            self.check_pending()
        except HookError:
            self._pm.unregister(plugin)
            raise

    def check_pending(self) -> None:
        """Refuse implementations of hooks that do not exist (misspelled hook names).

        :raises HookError: naming the plugin and the unknown hook (with the closest
            real hook name, when there is one).
        """
        for name, caller in sorted(vars(self._pm.hook).items()):
            if not isinstance(caller, pluggy.HookCaller) or caller.spec is not None:
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                close = difflib.get_close_matches(name, hookspecs.HOOK_NAMES, n=1)
                suggestion = f" (did you mean {close[0]!r}?)" if close else ""
                raise HookError(
                    f"plugin {impl.plugin_name!r} implements {name!r}, which is not a "
                    f"venvstacks hook{suggestion}",
                    plugin=impl.plugin_name,
                    hook=name,
                    hint="Known hooks: " + ", ".join(hookspecs.HOOK_NAMES) + ".",
                )

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

    def _fire(self, hook_name: str, layer: LayerContext, **kwargs: Any) -> Any:
        """Call a hook for a layer; any plugin failure becomes a :class:`HookError`.

        Only :attr:`hooks` (the typed facade) calls this.
        """
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
