"""The file-schema module agrees with the code that writes those files."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from venvstacks._injected import (
    INLINE_MARKER,
    POSTINSTALL_SCRIPT,
    postinstall_source,
    schema,
)
from venvstacks.layers.layout import LayerLayout
from venvstacks.lock.files import LockMetadata

SRC = Path(__file__).resolve().parents[2] / "src" / "venvstacks"


def test_lock_metadata_fields_match_the_schema() -> None:
    assert {f.name for f in fields(LockMetadata)} == set(
        schema.LockMetadataFile.__annotations__
    )


def test_layer_config_keys_match_the_schema() -> None:
    layout = LayerLayout(
        env_name="app-x",
        folder_name="app-x",
        kind="application",
        python="bin/python",
        py_version="3.11.7",
        site_dir="lib/python3.11/site-packages",
        base_python="../rt/bin/python3.11",
        pylib_dirs=("../rt/lib/python3.11/site-packages",),
        launch_module="x",
    )
    allowed = set(schema.LayerConfig.__annotations__)
    assert set(layout.config()) <= allowed
    assert set(schema.LayerConfig.__required_keys__) <= set(layout.config())


def test_shipped_postinstall_inlines_the_schema() -> None:
    shipped = postinstall_source()
    assert INLINE_MARKER not in shipped
    assert f'LAYER_CONFIG_PATH = "{schema.LAYER_CONFIG_PATH}"' in shipped
    tree = ast.parse(shipped, feature_version=(3, 9))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not [name for name in imported if name and name.startswith("venvstacks")]
    assert POSTINSTALL_SCRIPT.read_text("utf-8") == shipped


def test_layer_config_path_has_one_definition() -> None:
    defining = [
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if 'venvstacks_layer.json"' in path.read_text("utf-8")
    ]
    assert defining == ["_injected/schema.py"]


@pytest.mark.parametrize("python", ["/usr/bin/python3.11", sys.executable])
def test_shipped_postinstall_runs_without_venvstacks(python: str, tmp_path: Path) -> None:
    if not Path(python).exists():
        pytest.skip(f"no {python}")
    script = tmp_path / "postinstall.py"
    script.write_text(postinstall_source(), "utf-8")
    result = subprocess.run(
        [python, "-I", "-S", str(script), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
