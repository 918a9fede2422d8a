"""The typed hook facade: the only way venvstacks fires hooks.

One method per hook in :mod:`venvstacks.plugins.hookspecs`, with its signature, so
mypy checks every call site (no hook is ever called by a string name elsewhere).
A plugin failure becomes a :class:`~venvstacks.errors.HookError` naming the hook, the
plugin and the layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from venvstacks.errors import HookError

if TYPE_CHECKING:
    from venvstacks.plugins.context import LayerContext
    from venvstacks.runtimes.model import ResolvedRuntime
    from venvstacks.spec.runtime_version import RuntimeVersion

#: ``fire(hook_name, layer, **arguments)``: calls every implementation of a hook.
Fire = Callable[..., Any]


class Hooks:
    """Fires the venvstacks hooks of one plugin manager."""

    def __init__(self, fire: Fire) -> None:
        self._fire = fire

    def resolve_runtime(
        self, layer: LayerContext, request: RuntimeVersion, source: str
    ) -> ResolvedRuntime | None:
        """``venvstacks_resolve_runtime``: the exact runtime for a runtime layer."""
        from venvstacks.runtimes.model import ResolvedRuntime

        result = self._fire(
            "venvstacks_resolve_runtime", layer, request=request, source=source
        )
        if result is not None and not isinstance(result, ResolvedRuntime):
            raise HookError(
                f"returned {type(result).__name__}, not a ResolvedRuntime",
                hook="venvstacks_resolve_runtime",
                layer=layer.name,
            )
        return result

    def pre_lock(self, layer: LayerContext, requirements: list[str]) -> None:
        """``venvstacks_pre_lock``: plugins adjust ``requirements`` in place."""
        self._fire("venvstacks_pre_lock", layer, requirements=requirements)

    def fetch_runtime(
        self, layer: LayerContext, runtime: ResolvedRuntime, source: str, work_dir: Path
    ) -> Path | None:
        """``venvstacks_fetch_runtime``: an installation prefix for a locked runtime."""
        result = self._fire(
            "venvstacks_fetch_runtime",
            layer,
            runtime=runtime,
            source=source,
            work_dir=work_dir,
        )
        return None if result is None else Path(result)

    def post_install(self, layer: LayerContext, env_path: Path) -> None:
        """``venvstacks_post_install``: after a layer's packages are installed."""
        self._fire("venvstacks_post_install", layer, env_path=env_path)

    def pre_archive(self, layer: LayerContext, staging_path: Path) -> None:
        """``venvstacks_pre_archive``: after a layer is staged, before it is listed."""
        self._fire("venvstacks_pre_archive", layer, staging_path=staging_path)

    def layer_checks(self, layer: LayerContext) -> dict[str, Callable[[Path, Path], Any]]:
        """``venvstacks_layer_checks``: the named checks plugins add to a layer."""
        found: dict[str, Callable[[Path, Path], Any]] = {}
        for result in self._fire("venvstacks_layer_checks", layer) or ():
            if result is None:
                continue
            if not isinstance(result, Mapping) or not all(
                isinstance(name, str) and "::" not in name and callable(check)
                for name, check in result.items()
            ):
                raise HookError(
                    "returned something other than a mapping of check names "
                    "(without '::') to functions",
                    hook="venvstacks_layer_checks",
                    layer=layer.name,
                )
            found.update(result)
        return found
