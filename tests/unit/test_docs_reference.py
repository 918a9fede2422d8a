"""The reference pages cannot drift: spec keys and metadata fields are checked here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from venvstacks.export.metadata import EXTRA_FIELDS
from venvstacks.spec.layerfields import (
    APPLICATION_KEYS,
    COMMON_KEYS,
    FRAMEWORK_KEYS,
    RUNTIME_KEYS,
)
from venvstacks.spec.loader import TOP_LEVEL_KEYS

DOCS = Path(__file__).parents[2] / "docs"
SCHEMAS = DOCS / "schemas"
SCHEMA_FILES = sorted(SCHEMAS.glob("*.schema.json"))


def documented_spec_keys() -> dict[str, set[str]]:
    """``.. confval:: table.key`` entries of the spec page, grouped by table."""
    text = (DOCS / "reference" / "spec.rst").read_text("utf-8")
    groups: dict[str, set[str]] = {}
    for name in re.findall(r"^\.\. confval:: (\S+)\s*$", text, re.MULTILINE):
        table, _, key = name.rpartition(".")
        groups.setdefault(table, set()).add(key)
    return groups


def test_every_top_level_key_is_documented() -> None:
    assert documented_spec_keys()[""] == set(TOP_LEVEL_KEYS)


def test_every_common_layer_key_is_documented() -> None:
    assert documented_spec_keys()["layer"] == set(COMMON_KEYS)


@pytest.mark.parametrize(
    ("table", "keys"),
    [
        ("runtimes", RUNTIME_KEYS),
        ("frameworks", FRAMEWORK_KEYS),
        ("applications", APPLICATION_KEYS),
    ],
)
def test_every_layer_kind_key_is_documented(table: str, keys: tuple[str, ...]) -> None:
    documented = documented_spec_keys()[table] | documented_spec_keys()["layer"]
    assert documented == set(keys), f"[[{table}]] keys documented vs read by the loader"


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_is_a_valid_json_schema(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(path.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_every_schema_field_is_described(path: Path) -> None:
    def walk(schema: dict[str, object], where: str) -> None:
        properties = schema.get("properties", {})
        assert isinstance(properties, dict)
        for name, prop in properties.items():
            assert prop.get("description"), f"{where}{name} has no description"
            walk(prop, f"{where}{name}.")
            items = prop.get("items")
            if isinstance(items, dict):
                walk(items, f"{where}{name}[].")

    walk(json.loads(path.read_text("utf-8")), "")


def test_layer_schema_documents_our_metadata_additions() -> None:
    schema = json.loads((SCHEMAS / "layer-metadata.schema.json").read_text("utf-8"))
    assert set(EXTRA_FIELDS) <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_every_layer_check_is_documented() -> None:
    from venvstacks.checks import CHECK_NAMES

    text = (DOCS / "reference" / "pytest.rst").read_text("utf-8")
    section = text.split("\nChecks\n", 1)[1].split("\nOptions and ini keys\n", 1)[0]
    documented = re.findall(r"^``([a-z]+)``$", section, re.MULTILINE)
    assert documented == list(CHECK_NAMES)


def test_no_merge_debris_in_the_docs() -> None:
    """Conflict markers left by a merge break the site (and read badly in the source)."""
    found = [
        f"{path.relative_to(DOCS)}:{number}"
        for path in sorted(DOCS.rglob("*.rst"))
        if "_build" not in path.parts
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "======="
    ]
    assert not found, f"merge conflict markers at {', '.join(found)}"
