"""Sphinx directives that generate reference tables from the code and the schemas.

Each directive reads the one home of a fact (a JSON Schema in ``docs/schemas/``, the
CLI's exit-code table, the pytest plugin's own ``pytest_addoption``) so the pages cannot
drift from what the code does.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

SCHEMAS = Path(__file__).parent.parent / "schemas"


def _table(headers: list[str], rows: list[list[str]], widths: str = "auto") -> str:
    """An rst list-table."""
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [headers, *rows]:
        lines.append(f"   * - {row[0] or ' '}")
        lines.extend(f"     - {cell or ' '}" for cell in row[1:])
    return "\n".join(lines) + "\n"


def _type_of(prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    if isinstance(kind, list):
        text = " or ".join(kind)
    elif kind == "array":
        items = prop.get("items", {})
        text = f"array of {_type_of(items)}" if items else "array"
    else:
        text = str(kind or "any")
    if "enum" in prop:
        text += " (" + ", ".join(f"``{json.dumps(v)}``" for v in prop["enum"]) + ")"
    return text


class SchemaFields(SphinxDirective):
    """``.. venvstacks-schema-fields:: file.schema.json``: one row per field."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        path = SCHEMAS / self.arguments[0]
        self.env.note_dependency(str(path))
        schema = json.loads(path.read_text("utf-8"))
        rows: list[list[str]] = []
        self._rows(schema, "", rows)
        text = _table(["field", "type", "required", "meaning"], rows, "25 15 10 50")
        return self.parse_text_to_nodes(text)

    def _rows(self, schema: dict[str, Any], prefix: str, rows: list[list[str]]) -> None:
        required = set(schema.get("required", ()))
        for name, prop in schema.get("properties", {}).items():
            rows.append(
                [
                    f"``{prefix}{name}``",
                    _type_of(prop),
                    "yes" if name in required else "",
                    " ".join(str(prop.get("description", "")).split()),
                ]
            )
            if prop.get("type") == "object" and "properties" in prop:
                self._rows(prop, f"{prefix}{name}.", rows)
            items = prop.get("items", {})
            if prop.get("type") == "array" and "properties" in items:
                self._rows(items, f"{prefix}{name}[].", rows)


class ExitCodes(SphinxDirective):
    """``.. venvstacks-exit-codes::``: the CLI's exit-code table and each error class."""

    def run(self) -> list[nodes.Node]:
        from venvstacks.cli import errors

        rows = [
            [
                f"``{code}``",
                f":class:`~venvstacks.errors.{kind.__name__}`",
                f"``{kind.category}``",
                " ".join((inspect.getdoc(kind) or "").split("\n\n")[0].split()),
            ]
            for kind, code in errors.EXIT_CODES
        ]
        rows.insert(0, [f"``{errors.EXIT_OK}``", "", "", "Success."])
        checks_failed = getattr(errors, "EXIT_CHECKS_FAILED", None)
        if checks_failed is not None:
            rows.append(
                [f"``{checks_failed}``", "", "", "``venvstacks check``: a check failed."]
            )
        rows.append([f"``{errors.EXIT_INTERRUPTED}``", "", "", "Interrupted (Ctrl-C)."])
        rows.append(
            [
                f"``{errors.EXIT_INTERNAL}``",
                "",
                "",
                "Any other exception: a bug in venvstacks or a plugin; the traceback is "
                "printed.",
            ]
        )
        text = _table(["exit", "error class", "printed as", "meaning"], rows, "8 25 17 50")
        return self.parse_text_to_nodes(text)


class _RecordingGroup:
    def __init__(self, options: list[tuple[list[str], dict[str, Any]]]) -> None:
        self.options = options

    def addoption(self, *names: str, **attrs: Any) -> None:
        self.options.append((list(names), attrs))

    _addoption = addoption


class _RecordingParser:
    """Stands in for ``pytest.Parser`` to record what a plugin registers."""

    def __init__(self) -> None:
        self.options: list[tuple[list[str], dict[str, Any]]] = []
        self.ini: list[tuple[str, str, dict[str, Any]]] = []

    def getgroup(self, *_args: Any, **_kwargs: Any) -> _RecordingGroup:
        return _RecordingGroup(self.options)

    def addoption(self, *names: str, **attrs: Any) -> None:
        self.options.append((list(names), attrs))

    def addini(self, name: str, help: str, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("type", args[0] if args else "string")
        self.ini.append((name, help, kwargs))


def _plugin_modules() -> list[Any]:
    import importlib

    import pytest_venvstacks.plugin as plugin

    modules = [plugin]
    for name in getattr(plugin, "pytest_plugins", ()):  # submodules the plugin loads
        modules.append(importlib.import_module(name))
    return modules


def _recorded() -> _RecordingParser:
    parser = _RecordingParser()
    for module in _plugin_modules():
        hook = getattr(module, "pytest_addoption", None)
        if hook is not None:
            params = inspect.signature(hook).parameters
            hook(**{n: v for n, v in {"parser": parser}.items() if n in params})
    return parser


class PytestOptions(SphinxDirective):
    """``.. venvstacks-pytest-options::``: command-line options and ini keys."""

    def run(self) -> list[nodes.Node]:
        parser = _recorded()
        rows = []
        for names, attrs in parser.options:
            metavar = attrs.get("metavar") or ""
            choices = attrs.get("choices")
            if choices:
                metavar = "{" + ",".join(choices) + "}"
            option = ", ".join(f"``{n}{' ' + metavar if metavar else ''}``" for n in names)
            rows.append([option, " ".join(str(attrs.get("help", "")).split())])
        text = _table(["option", "meaning"], rows, "35 65")
        if parser.ini:
            ini_rows = [
                [f"``{name}``", " ".join(help.split()), str(kw["type"])]
                for name, help, kw in parser.ini
            ]
            text += "\n" + _table(["ini key", "meaning", "type"], ini_rows, "25 60 15")
        return self.parse_text_to_nodes(text)


class PytestFixtures(SphinxDirective):
    """``.. venvstacks-pytest-fixtures::``: every fixture the plugin provides."""

    def run(self) -> list[nodes.Node]:
        rows = []
        for module in _plugin_modules():
            for name, value in vars(module).items():
                marker = getattr(value, "_fixture_function_marker", None)
                if marker is None:
                    continue
                function = getattr(value, "_get_wrapped_function", lambda v=value: v)()
                doc = " ".join((inspect.getdoc(function) or "").split())
                rows.append([f"``{marker.name or name}``", f"``{marker.scope}``", doc])
        text = _table(["fixture", "scope", "what it gives"], rows, "25 10 65")
        return self.parse_text_to_nodes(text)


class UvKeys(SphinxDirective):
    """``.. venvstacks-uv-keys::``: the ``[tool.uv]`` keys the spec loader accepts."""

    def run(self) -> list[nodes.Node]:
        from venvstacks.spec import uvkeys

        rows = []
        for name, key in sorted(uvkeys.UV_KEYS.items()):
            values = key.choices or key.item_choices or key.keys
            rows.append(
                [
                    f"``{name}``",
                    " or ".join(key.types),
                    ", ".join(f"``{value}``" for value in values),
                ]
            )
        text = f"Accepted keys (from uv {uvkeys.UV_VERSION}):\n\n" + _table(
            ["key", "TOML type", "values / keys inside"], rows, "30 20 50"
        )
        return self.parse_text_to_nodes(text)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives."""
    app.add_directive("venvstacks-schema-fields", SchemaFields)
    app.add_directive("venvstacks-exit-codes", ExitCodes)
    app.add_directive("venvstacks-pytest-options", PytestOptions)
    app.add_directive("venvstacks-pytest-fixtures", PytestFixtures)
    app.add_directive("venvstacks-uv-keys", UvKeys)
    return {"parallel_read_safe": True, "version": "1"}
