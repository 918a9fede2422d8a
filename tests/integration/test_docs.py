"""The documentation builds, and its JSON Schemas describe real published output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_venvstacks import StackProject
from tests.integration.stacks import LAYERED_FILES, LAYERED_SPEC

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
SCHEMAS = ROOT / "docs" / "schemas"


def validator(name: str) -> object:
    """A validator for one schema, resolving ``$ref`` to the other schema files."""
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    resources = [
        (path.name, referencing.Resource.from_contents(json.loads(path.read_text("utf-8"))))
        for path in SCHEMAS.glob("*.schema.json")
    ]
    registry = referencing.Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema, registry=registry)


def check(name: str, document: object) -> None:
    errors = sorted(validator(name).iter_errors(document), key=str)  # type: ignore[attr-defined]
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.fixture(scope="module")
def layered(venvstacks_stacks) -> StackProject:
    return venvstacks_stacks.get("layered", LAYERED_SPEC, LAYERED_FILES)


@pytest.fixture(scope="module")
def outputs(layered: StackProject, tmp_path_factory) -> dict[str, Path]:
    # zst: the metadata is the same as for xz, and it is many times faster to write.
    published = tmp_path_factory.mktemp("schema-published")
    layered.stack().publish(published, fmt="zst")
    exported = tmp_path_factory.mktemp("schema-exported")
    layered.stack().local_export(exported)
    return {"published": published, "exported": exported}


@pytest.mark.parametrize("kind", ["published", "exported"])
def test_layer_and_stack_metadata_match_the_documented_schemas(
    layered: StackProject, outputs: dict[str, Path], kind: str
) -> None:
    folder = outputs[kind] / "__venvstacks__"
    env_files = sorted((folder / "env_metadata").glob("*.json"))
    assert len(env_files) == len(layered.stack().spec.layers())
    for path in env_files:
        check("layer-metadata.schema.json", json.loads(path.read_text("utf-8")))
    check(
        "stack-metadata.schema.json", json.loads((folder / "venvstacks.json").read_text())
    )


def test_deployed_layer_files_match_the_documented_schema(
    layered: StackProject, outputs: dict[str, Path]
) -> None:
    configs = sorted(
        outputs["exported"].glob("*/share/venv/metadata/venvstacks_layer.json")
    )
    assert len(configs) == len(layered.stack().spec.layers())
    for path in configs:
        check("deployed-layer.schema.json", json.loads(path.read_text("utf-8")))


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    pytest.importorskip("sphinx")
    if shutil.which("sphinx-build", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("sphinx-build is not installed beside this Python")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-n",
            "-q",
            "-b",
            "html",
            str(ROOT / "docs"),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "html" / "reference" / "cli.html").is_file()
