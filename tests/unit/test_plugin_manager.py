"""The plugin manager and its typed hook facade, without uv or a build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from venvstacks import HookError, hookimpl
from venvstacks.plugins import LayerContext, PluginManager
from venvstacks.plugins.hookspecs import HOOK_NAMES
from venvstacks.spec import load_stack_spec_text

SPEC = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.11"
requirements = []

[[frameworks]]
name = "fw"
runtime = "rt"
requirements = ["idna"]
"""


def context(tmp_path: Path, env_name: str = "framework-fw") -> LayerContext:
    spec = load_stack_spec_text(SPEC, tmp_path / "venvstacks.toml")
    layer = spec.layer(env_name)
    lower = tuple(context(tmp_path, x.env_name) for x in spec.lower_layers(layer))
    return LayerContext.for_layer(
        layer,
        spec,
        lower_layers=lower,
        env_path=tmp_path / env_name,
        python_version="3.11.7",
        deployed_name=env_name,
        target_platform="linux_x86_64",
    )


def test_every_hookspec_has_a_facade_method() -> None:
    import venvstacks.plugins.hookspecs as specs
    from venvstacks.plugins.hooks import Hooks

    declared = sorted(n for n in vars(specs) if n.startswith("venvstacks_"))
    assert declared == sorted(HOOK_NAMES)
    for name in HOOK_NAMES:
        assert callable(getattr(Hooks, name.removeprefix("venvstacks_")))


def test_misspelled_hook_is_refused_naming_plugin_and_hook() -> None:
    class Typo:
        @hookimpl
        def venvstacks_post_instal(self, layer: Any) -> None:
            pass

    manager = PluginManager(entry_points=False)
    with pytest.raises(HookError) as info:
        manager.register(Typo(), name="typo-plugin")
    error = info.value
    assert error.plugin == "typo-plugin"
    assert error.hook == "venvstacks_post_instal"
    assert "'venvstacks_post_install'" in error.message  # did you mean
    assert "typo-plugin" not in manager.plugin_names()
    manager.check_pending()  # the refused plugin left nothing behind


def test_misspelled_hook_in_module_plugin(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "typo_module.py").write_text(
        "from venvstacks import hookimpl\n"
        "@hookimpl\n"
        "def venvstacks_prelock(layer, requirements):\n"
        "    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(HookError) as info:
        PluginManager(["typo_module"], entry_points=False)
    assert (info.value.plugin, info.value.hook) == ("typo_module", "venvstacks_prelock")


def test_facade_fires_hooks_and_records_content_plugins(tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []

    class Recorder:
        @hookimpl
        def venvstacks_pre_lock(self, layer: LayerContext, requirements: list[str]) -> None:
            calls.append(("pre_lock", layer.name))
            requirements.append("extra")

        @hookimpl
        def venvstacks_pre_archive(self, layer: LayerContext, staging_path: Path) -> None:
            calls.append(("pre_archive", staging_path.name))

    manager = PluginManager(entry_points=False, objects=[Recorder()])
    ctx = context(tmp_path)
    requirements = list(ctx.requirements)
    manager.hooks.pre_lock(ctx, requirements)
    manager.hooks.pre_archive(ctx, tmp_path / "staged")
    assert requirements == ["idna", "extra"]
    assert calls == [("pre_lock", "framework-fw"), ("pre_archive", "staged")]
    assert manager.plugins_that_ran("framework-fw") == [
        f"{Recorder.__module__}.{Recorder.__qualname__}"
    ]


def test_plugin_failure_is_a_hook_error(tmp_path: Path) -> None:
    class Explodes:
        @hookimpl
        def venvstacks_post_install(self, layer: LayerContext, env_path: Path) -> None:
            raise RuntimeError("boom")

    manager = PluginManager(entry_points=False, objects=[Explodes()])
    with pytest.raises(HookError) as info:
        manager.hooks.post_install(context(tmp_path), tmp_path)
    assert info.value.hook == "venvstacks_post_install"
    assert info.value.layer == "framework-fw"
    assert info.value.plugin is not None and "Explodes" in info.value.plugin


def test_resolve_runtime_result_is_checked(tmp_path: Path) -> None:
    class Wrong:
        @hookimpl(tryfirst=True)
        def venvstacks_resolve_runtime(self) -> str:
            return "cpython@3.11.7"

    manager = PluginManager(entry_points=False, objects=[Wrong()])
    from venvstacks.spec import RuntimeVersion

    with pytest.raises(HookError, match="not a ResolvedRuntime"):
        manager.hooks.resolve_runtime(
            context(tmp_path, "rt"), RuntimeVersion("cpython", "3.11"), "local"
        )


def test_layer_context_is_a_stable_read_only_view(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    assert (ctx.name, ctx.kind, ctx.layer_name) == ("framework-fw", "framework", "fw")
    assert ctx.requirements == ("idna",)
    assert ctx.lower_names == ("rt",)
    assert ctx.runtime.name == "rt" and ctx.runtime.runtime is ctx.runtime
    assert ctx.python_version == "3.11.7"
    # kept for plugins written against the first API
    assert ctx.spec.env_name == "framework-fw"
    assert ctx.stack.layer("rt").kind == "runtime"
    with pytest.raises(AttributeError):
        ctx.name = "other"  # type: ignore[misc]
