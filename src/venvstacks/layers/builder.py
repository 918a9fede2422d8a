"""Building one layer environment in the build folder."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from venvstacks.errors import BuildError
from venvstacks.layers.layout import (
    LayerLayout,
    RuntimeShape,
    layout_for,
    read_runtime_shape,
)
from venvstacks.plugins.context import LayerContext
from venvstacks.plugins.manager import PluginManager
from venvstacks.reporting import Reporter
from venvstacks.runtimes.model import ResolvedRuntime
from venvstacks.spec.model import ApplicationSpec, LayerSpec, RuntimeRequest
from venvstacks.uvtool import UvSettings


@dataclass(frozen=True)
class BuildSettings:
    """What every layer build of one run shares."""

    uv: UvSettings
    reporter: Reporter
    plugins: PluginManager
    target_platform: str
    runtime_source: str
    runtime_work_dir: Path
    find_links: tuple[Path, ...] = ()
    no_index: bool = False


def _sync(
    settings: BuildSettings,
    layer: LayerSpec,
    python: Path,
    pylock: Path,
    site_packages: Path,
) -> None:
    from venvstacks.layers.install import linux_python_platform, sync_packages

    sync_packages(
        python,
        pylock,
        settings.uv,
        settings.reporter,
        layer.env_name,
        site_packages=site_packages,
        python_platform=linux_python_platform(settings.target_platform, layer.linux_target),
        find_links=settings.find_links,
        no_index=settings.no_index,
    )


def fetch_runtime_prefix(
    plugins: PluginManager,
    ctx: LayerContext,
    runtime: ResolvedRuntime,
    source: str,
    work_dir: Path,
    uv: UvSettings,
) -> Path:
    """The installation prefix the runtime providers give for an exact runtime."""
    from venvstacks.runtimes import discover_installed, not_found_error

    prefix = plugins.hooks.fetch_runtime(ctx, runtime, source, work_dir)
    if prefix is None:
        request = RuntimeRequest(runtime.implementation, runtime.version)
        raise not_found_error(request, source, discover_installed(uv), ctx.name)
    return prefix


def build_runtime_env(
    settings: BuildSettings,
    ctx: LayerContext,
    env_dir: Path,
    pylock: Path,
    runtime: ResolvedRuntime,
) -> RuntimeShape:
    """Copy the locked Python into ``env_dir`` (unless there) and install into it."""
    # Imported here, as in build_layered_env: a no-op build never needs them.
    from venvstacks.layers.venv import write_layer_config
    from venvstacks.runtimes import make_scripts_relocatable
    from venvstacks.runtimes.cache import prepare_runtime

    shape = read_runtime_shape(env_dir)
    if shape is not None and shape.py_version != runtime.version:
        shutil.rmtree(env_dir)
        shape = None
    elif shape is None and env_dir.exists():
        shutil.rmtree(env_dir)
    if shape is None:
        prefix = fetch_runtime_prefix(
            settings.plugins,
            ctx,
            runtime,
            settings.runtime_source,
            settings.runtime_work_dir,
            settings.uv,
        )
        adopted = prepare_runtime(prefix, runtime.version, env_dir)
        shape = RuntimeShape(adopted.python, adopted.site_packages, adopted.version)
    layout = layout_for(ctx.stack, ctx.spec, shape)
    _sync(settings, ctx.spec, env_dir / shape.python, pylock, env_dir / shape.site_dir)
    settings.plugins.hooks.post_install(ctx, env_dir)
    make_scripts_relocatable(env_dir, shape.python)
    write_layer_config(env_dir, layout)
    return shape


def build_layered_env(
    settings: BuildSettings,
    ctx: LayerContext,
    env_dir: Path,
    pylock: Path,
    layout: LayerLayout,
) -> None:
    """Create or refresh a framework or application environment."""
    from venvstacks.layers.dynlibs import link_lower_dynlibs
    from venvstacks.layers.modules import install_modules
    from venvstacks.layers.venv import write_layered_env

    layer = ctx.spec
    runtime_python = env_dir.parent / layout.base_python.removeprefix("../")
    if not runtime_python.exists():
        raise BuildError(
            f"its runtime interpreter {layout.base_python} is missing",
            layer=ctx.name,
            hint="Build the runtime layer first.",
        )
    write_layered_env(env_dir, layout)
    _sync(settings, layer, env_dir / "bin" / "python", pylock, env_dir / layout.site_dir)
    if isinstance(layer, ApplicationSpec):
        install_modules(
            env_dir,
            layout.site_dir,
            [layer.launch_module, *layer.support_modules],
            ctx.stack.spec_dir,
        )
    settings.plugins.hooks.post_install(ctx, env_dir)
    shape = read_runtime_shape(env_dir.parent / ctx.stack.runtime_of(layer).env_name)
    assert shape is not None  # checked with the runtime interpreter above
    link_lower_dynlibs(
        ctx.stack,
        layer,
        shape,
        env_dir,
        layout,
        settings.reporter,
        settings.target_platform,
    )
