"""CLI environment variables, entry-point plugins and local wheel folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_venvstacks.wheels import write_wheel
from tests.integration.stacks import SMALL_FILES, SMALL_SPEC
from venvstacks import LockError

pytestmark = pytest.mark.integration


def test_options_read_venvstacks_environment_variables(
    stack_project, tmp_path: Path
) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    env = {"VENVSTACKS_INCLUDE": "app-* rt", "VENVSTACKS_BUILD_DIR": str(tmp_path / "bd")}
    result = project.cli("show", "--json", env=env)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    layers = info["runtimes"] + info["frameworks"] + info["applications"]
    # show --include also lists the layers below and above (the reference does)
    assert [layer["name"] for layer in layers] == ["rt", "framework-fw", "app-app"]
    assert info["venvstacks"]["build_dir"] == str(tmp_path / "bd")
    relative = project.cli("show", "--json", "--build-dir", "elsewhere")
    shown = json.loads(relative.stdout)["venvstacks"]
    assert shown["build_dir"] == str(project.root / "elsewhere")


def test_entry_point_plugins_load_automatically(stack_project, tmp_path: Path) -> None:
    project = stack_project(SMALL_SPEC, SMALL_FILES)
    site = tmp_path / "plugin-site"
    dist_info = site / "vs_fake_plugin-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: vs-fake-plugin\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text("[venvstacks]\nfake = vs_fake_plugin\n")
    (site / "vs_fake_plugin.py").write_text(
        "from venvstacks import hookimpl\n"
        "@hookimpl\n"
        "def venvstacks_pre_lock(layer, requirements):\n"
        "    raise RuntimeError('entry point plugin ran for ' + layer.name)\n"
    )
    result = project.cli("lock", env={"PYTHONPATH": str(site)})
    assert result.returncode == 8, result.stderr
    text = " ".join(result.stderr.split())
    assert "plugin 'fake'" in text and "entry point plugin ran for rt" in text


LOCAL_SPEC = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.11"
platforms = ["linux_x86_64"]
requirements = []

[[applications]]
name = "local"
launch_module = "local_app.py"
runtime = "rt"
requirements = ["vs-local-only"]
"""


def test_local_wheels_without_any_index(stack_project) -> None:
    project = stack_project(
        LOCAL_SPEC, {"local_app.py": "import vs_local_only\nprint(vs_local_only.VALUE)\n"}
    )
    wheels = project.root / "wheels"
    write_wheel(
        wheels,
        "vs_local_only",
        "1.0",
        {"vs_local_only.py": "VALUE = 'from a local wheel'\n"},
    )
    with pytest.raises(LockError, match="vs-local-only"):
        project.lock(index=False)
    project.build(lock_if_needed=True, local_wheels=(wheels,), index=False)
    assert project.run_app("app-local").stdout.strip() == "from a local wheel"
    pylock = project.stack().lock_files(project.stack().spec.layer("app-local")).pylock
    assert "vs-local-only" in pylock.read_text()
    assert (
        "file://" not in pylock.read_text()
        and 'path = "../../wheels/' in pylock.read_text()
    )
    result = project.cli("build", "--no-index", "--local-wheels", "wheels")
    assert result.returncode == 0, result.stderr
    assert "Nothing to do" in result.stdout
