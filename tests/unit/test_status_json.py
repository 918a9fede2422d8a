"""``show --json`` and ``--json`` print the reference venvstacks 0.8 stack status.

The schema (tests/data/schemas/reference_stack_status.schema.json) is written from the
reference's ``StackStatus`` / ``LayerStatus`` definitions. A small validator for the
subset of JSON Schema it uses keeps the test free of extra dependencies.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from venvstacks.cli import cli

DATA = Path(__file__).parents[1] / "data"
SCHEMA = json.loads(
    (DATA / "schemas" / "reference_stack_status.schema.json").read_text("utf-8")
)
_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def validate(instance: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Errors of ``instance`` against the schema subset used here."""
    if "$ref" in schema:
        name = schema["$ref"].rpartition("/")[2]
        return validate(instance, SCHEMA["$defs"][name], path)
    errors: list[str] = []
    for sub in schema.get("allOf", ()):
        errors += validate(instance, sub, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(isinstance(instance, _TYPES[t]) for t in types):
            return [*errors, f"{path}: {instance!r} is not of type {types}"]
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: {instance!r} not in {schema['enum']}")
    if isinstance(instance, dict):
        errors += [
            f"{path}: missing {k!r}"
            for k in schema.get("required", ())
            if k not in instance
        ]
        for key, sub in schema.get("properties", {}).items():
            if key in instance:
                errors += validate(instance[key], sub, f"{path}.{key}")
    if isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            errors += validate(item, schema["items"], f"{path}[{index}]")
    return errors


def test_validator_catches_the_old_shape() -> None:
    old = {"spec": "x", "layers": [{"env_name": "rt"}]}
    assert validate(old, SCHEMA)
    bad_entry = {
        "spec_name": "x",
        "runtimes": [{"name": "rt", "install_target": "rt", "has_valid_lock": "yes"}],
        "frameworks": [],
        "applications": [],
    }
    assert len(validate(bad_entry, SCHEMA)) == 2


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("status") / "sample"
    shutil.copytree(DATA / "good_specs" / "sample_project", folder)
    return folder


@pytest.mark.parametrize(
    "args",
    [
        ["show", "--json"],
        ["show", "--json", "--include", "framework-scipy"],
        ["lock", "--json"],
        ["build", "--json", "--include", "app-*", "--build-dependencies"],
        ["publish", "--json", "--publish-derived", "--include", "framework-*"],
        ["local-export", "--json"],
    ],
)
def test_status_json_validates(sample: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, [*args, str(sample)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert validate(status, SCHEMA) == []
    assert status["spec_name"] == str(sample / "venvstacks.toml")
    every = status["runtimes"] + status["frameworks"] + status["applications"]
    assert every
    if args[0] == "show":
        assert all(x["selected_operations"] is None for x in every)
        assert all("dependencies" in x for x in status["frameworks"])
    else:
        assert all(isinstance(x["selected_operations"], list) for x in every)


def test_show_json_entries(sample: Path) -> None:
    result = CliRunner().invoke(cli, ["show", "--json", str(sample)])
    status = json.loads(result.output)
    by_name = {
        x["name"]: x
        for key in ("runtimes", "frameworks", "applications")
        for x in status[key]
    }
    # versioned layers without a valid lock have no version yet, as in the reference
    assert by_name["framework-sklearn"]["install_target"] == "framework-sklearn@???"
    assert by_name["framework-scipy"]["install_target"] == "framework-scipy"
    assert [d["name"] for d in by_name["app-scipy-client"]["dependencies"]] == [
        "framework-sklearn",
        "framework-scipy",
        "cpython-3.11",
    ]
    assert not any(x["has_valid_lock"] for x in by_name.values())
    assert "app-win32-tool" not in by_name  # targets no platform
