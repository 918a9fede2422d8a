"""The venvstacks plugin API: every hook, in the order a stack's lifecycle calls them.

Write a plugin as a module or object with functions decorated by
:data:`venvstacks.hookimpl` and named like the specs below; declare it under the
``venvstacks`` entry-point group, or pass it with ``-p MODULE`` /
``VENVSTACKS_PLUGINS=MODULE[,MODULE...]``. Implementations may accept any subset of a
hook's arguments, by name.

Lifecycle, per layer (lower layers first):

1. ``venvstacks_resolve_runtime``  (runtime layers, when locking)
2. ``venvstacks_pre_lock``         (every layer, once per command that locks or
                                    checks locks)
3. ``venvstacks_fetch_runtime``    (runtime layers, when building)
4. ``venvstacks_post_install``     (every layer, after its packages are installed)
5. ``venvstacks_pre_archive``      (every layer, after staging for export or archive)
6. ``venvstacks_layer_checks``     (every layer, when ``venvstacks check`` or
   ``pytest --venvstacks`` collects its checks)

The ``layer`` argument is a read-only :class:`venvstacks.plugins.LayerContext`.
An exception raised by a plugin stops the command with a :class:`HookError` naming the
hook, the plugin and the layer. Independent layers are processed in parallel worker
threads, so a hook may run for several layers at once: keep per-layer state keyed by
``layer.name``. Hooks that change files must do so deterministically:
archives are expected to be byte-for-byte reproducible, and the names of the plugins
that ran are recorded in the published layer metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from venvstacks.plugins.context import LayerContext
    from venvstacks.runtimes.model import ResolvedRuntime
    from venvstacks.spec.model import RuntimeRequest

PROJECT_NAME = "venvstacks"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)

#: The one marker for hook implementations (exported as ``venvstacks.hookimpl``).
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: Every hook, in lifecycle order.
HOOK_NAMES = (
    "venvstacks_resolve_runtime",
    "venvstacks_pre_lock",
    "venvstacks_fetch_runtime",
    "venvstacks_post_install",
    "venvstacks_pre_archive",
    "venvstacks_layer_checks",
)


@hookspec(firstresult=True)
def venvstacks_resolve_runtime(
    layer: LayerContext, request: RuntimeRequest, source: str
) -> ResolvedRuntime | None:
    """Choose the exact Python version a runtime layer will be locked and built with.

    Called when a runtime layer is locked. The first non-None result wins; built-in
    providers (installed interpreters, then python-build-standalone downloads) run last.

    :param layer: the runtime layer being locked.
    :param request: what the spec asked for (``cpython@3.11`` or ``cpython@3.11.7``).
    :param source: ``"auto"``, ``"local"`` or ``"download"`` (``--runtime-source``);
        a provider that does not serve this source returns None.
    :return: a :class:`venvstacks.runtimes.ResolvedRuntime`, or None to pass.
    """


@hookspec
def venvstacks_pre_lock(layer: LayerContext, requirements: list[str]) -> None:
    """Adjust a layer's requirements before it is locked.

    Called with the layer's requirement strings (after spec loading, in declared
    order) when a command first needs the layer's lock inputs (to lock it, or to
    check whether its existing lock is still valid), once per layer per command;
    the result is reused for the rest of the command. (Only when relocking a runtime
    layer resolves a different Python than its previous lock is it called again,
    with the new ``layer.python_version``.) Implementations may append,
    remove or replace entries in place; the result is what gets locked, and a change
    makes the existing lock stale. Must be deterministic and quick.

    :param layer: the layer about to be locked.
    :param requirements: the mutable list of PEP 508 requirement strings.
    """


@hookspec(firstresult=True)
def venvstacks_fetch_runtime(
    layer: LayerContext, runtime: ResolvedRuntime, source: str, work_dir: Path
) -> Path | None:
    """Provide a Python installation folder for a locked runtime layer.

    Called when a runtime layer is built. Return the prefix folder of an installation
    of exactly ``runtime.version`` (it holds ``bin/python3.X`` and ``lib/python3.X``).
    venvstacks copies it into the build folder and makes the copy relocatable; the
    returned folder itself is never modified. The first non-None result wins.

    :param layer: the runtime layer being built.
    :param runtime: the version chosen when the layer was locked.
    :param source: ``"auto"``, ``"local"`` or ``"download"``.
    :param work_dir: a folder the provider may download or unpack into; it is kept
        between builds, so providers can cache there.
    :return: the installation prefix, or None to pass.
    """


@hookspec
def venvstacks_post_install(layer: LayerContext, env_path: Path) -> None:
    """Adjust a layer's environment after its packages are installed.

    Called once per build of a layer, after its locked packages (and, for
    applications, its launch and support modules) are in place and before venvstacks
    applies its relocation fix-ups. Changes must be deterministic.

    :param layer: the layer that was built.
    :param env_path: the layer's environment folder in the build directory.
    """


@hookspec
def venvstacks_pre_archive(layer: LayerContext, staging_path: Path) -> None:
    """Adjust a layer's staged files before they are listed, hashed and archived.

    Called after a layer has been staged for ``publish`` or ``local-export`` (the
    staged folder is a relocatable copy named after the deployed layer) and before
    its files are listed and hashed, so changes are covered by archive hashes.
    Changes must be deterministic.

    Staged files may be hard links to the layer's build environment: to change a
    file, write a new one in its place (write elsewhere, then rename over it, or
    unlink it first) rather than modifying it in place, or the build environment
    changes too. Adding and deleting files is always safe.

    :param layer: the layer being archived or exported.
    :param staging_path: the staged layer folder (its name is the deployed name).
    """


@hookspec
def venvstacks_layer_checks(
    layer: LayerContext,
) -> Mapping[str, Callable[[Path, Path], str | None]] | None:
    """Add checks of your own to ``venvstacks check`` and ``pytest --venvstacks``.

    Called once per layer when the checks of a stack are collected. Return a mapping
    from check names (they become pytest item names such as
    ``stack/venvstacks.toml::app-x::gpu``, so keep them short, without ``::``) to
    functions, or None to add nothing to this layer. Each function is called with the
    built layer's folder and its Python interpreter, in a worker thread next to the
    built-in checks, and returns None when the check passes or a one-paragraph
    message saying what is wrong (raising an exception also fails it, with the
    exception's text). A function is not called when the layer did not build.

    :param layer: the layer whose checks are collected.
    :return: check name -> ``function(layer_path, python) -> None | message``.
    """
