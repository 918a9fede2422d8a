"""Sphinx configuration for the venvstacks documentation.

Build with ``tox -e docs`` (``sphinx-build -W -n -b html docs docs/_build/html``): every
warning is an error and every cross-reference must resolve.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).parent
sys.path.insert(0, str(DOCS / "_ext"))

from venvstacks.version import tool_version  # noqa: E402

project = "venvstacks"
author = "venvstacks developers"
copyright = "venvstacks developers"
release = tool_version()
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx_click",
    "venvstacks_docs",
]

exclude_patterns = ["_build", "schemas"]
html_theme = "furo"
# Help texts and prose quote options literally: "--lock" must not become an en dash.
smartquotes = False
html_title = f"venvstacks {release}"
templates_path: list[str] = []

# Generated reference pages describe the code itself, not a copy of it.
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_class_signature = "separated"

nitpicky = True
# What nitpicky may not insist on: there is no network for intersphinx inventories of
# the standard library and pluggy, and docstrings in the code use short names for
# internal types (the public API is documented under its ``venvstacks.*`` names).
nitpick_ignore_regex = [
    ("py:.*", r"(os|subprocess|collections\.abc|typing|pathlib|pluggy)\..+"),
    ("py:.*", r"(_thread|threading)\..+"),
    # Anything outside this project (standard library, pluggy, pytest, click...):
    ("py:mod", r"(?!venvstacks|pytest_venvstacks)[a-z_][\w.]*"),
    ("py:.*", r"(?!venvstacks\.|pytest_venvstacks\.)[a-z_]\w*\.[\w.]+"),
    ("py:.*", r"(Path|Any|Callable|Mapping|Sequence|Iterable|Iterator|_F|_T)"),
    ("py:.*", r"venvstacks\.(engine|lock|spec|runtimes|plugins|reporting|layers)\..+"),
    ("py:.*", r"venvstacks\.(export|archive|checks|platforms)\..+"),
    ("py:.*", r"[A-Z]\w*(\.\w+)?"),  # a short class name in a docstring
    ("py:(attr|meth|func)", r"\w+"),
]


def _escape_click_markup(_app: object, _ctx: object, lines: list[str]) -> None:
    """Help texts are plain text (``'app-*'``); keep rst from reading ``*`` as markup."""
    lines[:] = [line.replace("*", "\\*") for line in lines]


def setup(app: object) -> None:
    """Escape click help text for rst."""
    for event in ("options", "description", "arguments", "envvars", "epilog"):
        app.connect(f"sphinx-click-process-{event}", _escape_click_markup)  # type: ignore[attr-defined]
