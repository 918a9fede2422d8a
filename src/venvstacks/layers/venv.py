"""Writing a layered virtual environment that needs no absolute path anywhere.

A layered environment's ``bin/python3.X`` is a *relative* symlink to its runtime's
interpreter and its ``pyvenv.cfg`` has no ``home`` key, so CPython finds the runtime
wherever the sibling folders are moved together. A ``.pth`` file (named to be processed
after the layer's own ``.pth`` files) imports a generated module that appends the lower
layers' site-packages, in linearised order, with ``site.addsitedir`` so their own
``.pth`` files are processed too. Paths are relative to the module's own folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from venvstacks._injected.schema import LAYER_CONFIG_PATH
from venvstacks.fsutil import remove_path, write_text_if_changed
from venvstacks.layers.layout import LayerLayout
from venvstacks.platforms.formats import DYNLIB_FOLDER

LINK_MODULE = "_venvstacks_layers"
LINK_PTH = "zzz_venvstacks_layers.pth"

_LINK_MODULE_TEMPLATE = '''\
"""Adds the lower layers of this venvstacks layer to sys.path (generated; do not edit)."""

import os
import site
import sys

LOWER_SITE_DIRS = {dirs!r}


def _link():
    here = os.path.dirname(os.path.abspath(__file__))
    for relative in LOWER_SITE_DIRS:
        path = os.path.normpath(os.path.join(here, relative))
        if path not in sys.path and os.path.isdir(path):
            site.addsitedir(path)


_link()
'''


def _replace_symlink(link: Path, target: str) -> None:
    if link.is_symlink() and os.readlink(link) == target:
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)


def _write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless already there, replacing (never writing through) the file.

    Staged layers may hard-link files of the build folder: writing in place would
    change the build folder too, replacing the directory entry does not.
    """
    write_text_if_changed(path, text)


def link_module_source(layout: LayerLayout) -> str:
    """The generated module text for a layout (lower site dirs relative to site_dir)."""
    depth = len(Path(layout.site_dir).parts)
    up = "/".join([".."] * depth)
    dirs = [f"{up}/{path}" for path in layout.pylib_dirs]
    return _LINK_MODULE_TEMPLATE.format(dirs=dirs)


def pyvenv_cfg(layout: LayerLayout) -> str:
    """``pyvenv.cfg`` text: no ``home``, so the interpreter symlink decides the base."""
    return (
        "include-system-site-packages = false\n"
        f"version = {layout.py_version}\n"
        "relocatable = true\n"
        f"venvstacks-layer = {layout.env_name}\n"
    )


def write_layer_config(env_dir: Path, layout: LayerLayout) -> None:
    """Write ``share/venv/metadata/venvstacks_layer.json``."""
    _write_if_changed(env_dir / LAYER_CONFIG_PATH, layout.config_json())


def write_layered_env(env_dir: Path, layout: LayerLayout) -> None:
    """Create or refresh the non-package files of a layered environment.

    Idempotent: running it on an existing environment rewrites only what differs.
    """
    minor = layout.python_minor
    bin_dir = env_dir / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    interpreter = f"python{minor}"
    _replace_symlink(bin_dir / interpreter, f"../{layout.base_python}")
    _replace_symlink(bin_dir / "python3", interpreter)
    _replace_symlink(bin_dir / "python", interpreter)
    site_dir = env_dir / layout.site_dir
    site_dir.mkdir(parents=True, exist_ok=True)
    _write_if_changed(env_dir / "pyvenv.cfg", pyvenv_cfg(layout))
    _write_if_changed(site_dir / f"{LINK_MODULE}.py", link_module_source(layout))
    _write_if_changed(site_dir / LINK_PTH, f"import {LINK_MODULE}\n")
    _write_if_changed(bin_dir / "activate", _activate_script(layout))
    write_dynlib_links(env_dir, layout)
    write_layer_config(env_dir, layout)


def write_dynlib_links(env_dir: Path, layout: LayerLayout) -> None:
    """Make the layer's dynlib folder hold exactly the layout's relative links.

    Stale entries (a provider that moved, a library now excluded) are removed; the
    folder itself is removed when the layer uses no lower layer's libraries.
    """
    folder = env_dir / DYNLIB_FOLDER
    wanted = {link.rsplit("/", 1)[1]: target for link, target in layout.dynlib_links}
    if not wanted:
        remove_path(folder)
        return
    folder.mkdir(parents=True, exist_ok=True)
    for entry in folder.iterdir():
        if entry.name not in wanted:
            remove_path(entry)
    for name, target in sorted(wanted.items()):
        _replace_symlink(folder / name, target)


def _activate_script(layout: LayerLayout) -> str:
    return f"""\
# Source this file from bash or zsh: . bin/activate  (venvstacks layer {layout.env_name})
if [ -n "${{BASH_SOURCE-}}" ]; then _vs_self="${{BASH_SOURCE[0]}}"; else _vs_self="$0"; fi
VIRTUAL_ENV="$(cd "$(dirname "$_vs_self")/.." && pwd)"
unset _vs_self
export VIRTUAL_ENV
deactivate () {{
    if [ -n "${{_VS_OLD_PATH-}}" ]; then PATH="$_VS_OLD_PATH"; export PATH; fi
    if [ -n "${{_VS_OLD_PS1+set}}" ]; then PS1="$_VS_OLD_PS1"; export PS1; fi
    unset _VS_OLD_PATH _VS_OLD_PS1 VIRTUAL_ENV
    unset -f deactivate
    hash -r 2>/dev/null
}}
_VS_OLD_PATH="$PATH"
PATH="$VIRTUAL_ENV/bin:$PATH"
export PATH
_VS_OLD_PS1="${{PS1-}}"
PS1="({layout.folder_name}) ${{PS1-}}"
hash -r 2>/dev/null
"""
