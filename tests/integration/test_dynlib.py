"""Native libraries across layers, with real gcc-built wheels (see dynlib_stack.py).

One stack covers the matrix: provider in the runtime, in a framework, two levels
down; consumer in a framework above, in an application; found by SONAME only; two
providers in conflict; ``dynlib_exclude``. Every app is run in the build folder,
after unpacking the published archives (no postinstall), after postinstall and after
moving the deployment, each time also from a ``sys.executable`` child, under ``-I``
and with an unrelated ``LD_LIBRARY_PATH``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.integration.dynlib_stack import (
    DYNLIB_FILES,
    DYNLIB_SPEC,
    EXPECTED,
    GOOD_LAYERS,
    can_compile,
    make_wheels,
    provider_wheel,
)
from venvstacks.errors import BuildError
from venvstacks.layers.records import record_hash
from venvstacks.platforms.elf import read_dynamic
from venvstacks.reporting import Note

pytestmark = pytest.mark.integration

SITE = "lib/python3.11/site-packages"
UNRELATED = {"LD_LIBRARY_PATH": "/nonexistent/lib:/usr/local/lib"}


@pytest.fixture(scope="module")
def dynlib_project(tmp_path_factory: pytest.TempPathFactory, stack_project_factory):
    reason = can_compile()
    if reason:
        pytest.skip(reason)
    project = stack_project_factory(tmp_path_factory.mktemp("dynlib"))
    wheels = make_wheels(project.root / "wheels")
    options = {"local_wheels": (wheels,), "index": False}
    project.lock(**options)
    project.build(*GOOD_LAYERS, **options)
    return project


@pytest.fixture(scope="module")
def stack_project_factory(venvstacks_uv_cache, venvstacks_runtime_source):
    from pytest_venvstacks.project import StackProject

    def make(root: Path) -> StackProject:
        project = StackProject(
            root, uv_cache_dir=venvstacks_uv_cache, runtime_source=venvstacks_runtime_source
        )
        project.write("venvstacks.toml", DYNLIB_SPEC)
        project.write_files(DYNLIB_FILES)
        return project

    return make


def run_check(project, folder: Path, module: str, env=None) -> dict[str, Any]:
    result = project.run_python(
        folder.name, "-m", module, root=folder.parent, env=env, isolated=True
    )
    return json.loads(result.stdout)


def assert_apps_run(project, root: Path, names: dict[str, str]) -> None:
    """Every app prints its libraries' values, itself and from a child process."""
    for app, values in EXPECTED.items():
        module = "check_" + app.removeprefix("app-")
        for env in (None, UNRELATED):
            result = run_check(project, root / names[app], module, env)
            assert result == {**values, "child": list(values.values())}, (app, env)
    excluded = run_check(project, root / names["app-excl"], "check_excl")
    assert "libaccdyn.so.1" in excluded["accdyn_consumer"]


def test_every_app_loads_its_libraries_in_the_build_folder(dynlib_project) -> None:
    names = {name: name for name in GOOD_LAYERS}
    assert_apps_run(dynlib_project, dynlib_project.build_dir, names)


def test_patched_files_keep_record_true_and_paths_relative(dynlib_project) -> None:
    mid = dynlib_project.env_path("framework-mid")
    extension = mid / SITE / "accdyn_consumer/_ext.abi3.so"
    info = read_dynamic(extension)
    assert info is not None and info.search_path is not None
    assert info.search_path.kind == "RUNPATH"
    entries = info.search_path.entries
    assert entries[0] == "$ORIGIN/../accdyn_provider/lib"  # kept, first
    assert all(entry.startswith("$ORIGIN") for entry in entries)
    assert any("share/venv/dynlib/framework-base+accdyn_provider+lib" in e for e in entries)
    record = next((mid / SITE).glob("accdyn_consumer-*.dist-info/RECORD"))
    rows = {row[0]: row for row in csv.reader(record.read_text().splitlines()) if row}
    digest, size = record_hash(extension)
    assert rows["accdyn_consumer/_ext.abi3.so"][1:3] == [digest, str(size)]
    for link in (mid / "share/venv/dynlib").iterdir():
        assert not os.readlink(link).startswith("/")
    config = json.loads((mid / "share/venv/metadata/venvstacks_layer.json").read_text())
    assert config["dynlib_dirs"] == [
        "../framework-base/lib/python3.11/site-packages/accdyn_provider/lib",
        "../rt/lib/python3.11/site-packages/accrt_provider/lib",
    ]
    # same-layer consumers are left alone: nothing to link
    both = dynlib_project.env_path("framework-both")
    assert not (both / "share/venv/dynlib").exists()


def test_dynlib_check_passes_linked_layers_and_fails_the_excluded_one(
    dynlib_project,
) -> None:
    from venvstacks.checks.dynlib import check_dynlib
    from venvstacks.checks.model import LayerFolder
    from venvstacks.layers.dynlibs import provider_layers
    from venvstacks.layers.layout import read_runtime_shape

    spec = dynlib_project.stack().spec
    root = dynlib_project.build_dir
    shape = read_runtime_shape(root / "rt")
    assert shape is not None

    def check(env_name: str):
        layer = spec.layer(env_name)
        folder = LayerFolder.read(root / env_name, env_name, layer.kind)
        providers = provider_layers(spec, layer, shape, root)
        return check_dynlib(folder, providers, root / "rt", "linux_x86_64")

    for env_name in ("framework-mid", "app-over", "app-deep"):
        assert check(env_name).ok, check(env_name).message
    result = check("app-excl")
    assert not result.ok and "libaccdyn.so.1" in result.message


def test_soname_only_provider_gets_an_alias(dynlib_project) -> None:
    folder = dynlib_project.env_path("app-over") / "share/venv/dynlib"
    alias = folder / "libaccso.so.1"
    assert os.readlink(alias) == "framework-base+accso_provider+lib/libaccso.so.1.2.3"


def test_missing_library_is_a_warning_naming_layer_file_and_library(
    dynlib_project,
) -> None:
    notes = [
        event
        for event in dynlib_project.reporter.events
        if isinstance(event, Note) and event.level == "warning"
    ]
    assert any(
        note.layer == "app-excl"
        and "accdyn_consumer/_ext.abi3.so" in note.text
        and "libaccdyn.so.1" in note.text
        for note in notes
    ), notes


def test_conflicting_providers_are_one_error_suggesting_exclude(dynlib_project) -> None:
    with pytest.raises(BuildError) as caught:
        dynlib_project.build("app-clash", local_wheels=(dynlib_project.root / "wheels",))
    text = str(caught.value)
    assert "libaccdyn.so.1" in text and "framework-base" in text
    assert "framework-dup" in text and "dynlib_exclude" in text
    assert "accfree_consumer/_ext.abi3.so" in text


def test_deployed_stack_runs_unpacked_postinstalled_and_moved(
    dynlib_project, tmp_path: Path
) -> None:
    from venvstacks.archive import unpack_archive

    out = tmp_path / "out"
    report = dynlib_project.stack().publish(out, GOOD_LAYERS)
    names = {r.env_name: r.deployed_name for r in report.layers}
    assert names["framework-base"] == "framework-base@1"
    meta = {r.env_name: r.metadata for r in report.layers}
    assert meta["framework-mid"]["dynlib_layers"] == ["framework-base@1", "rt"]
    assert meta["app-same"]["dynlib_layers"] == []
    deploy = tmp_path / "deploy"
    for result in report.layers:
        unpack_archive(result.path, deploy)
    if importlib.util.find_spec("jsonschema") is not None:
        from tests.integration.test_docs import check

        for result in report.layers:
            check("layer-metadata.schema.json", result.metadata)
            config = deploy / result.deployed_name / "share/venv/metadata"
            layer_config = json.loads((config / "venvstacks_layer.json").read_text())
            check("deployed-layer.schema.json", layer_config)
    assert_apps_run(dynlib_project, deploy, names)  # plain unpack
    for env_name in GOOD_LAYERS:
        dynlib_project.run_python(
            "rt", str(deploy / names[env_name] / "postinstall.py"), root=deploy
        )
    assert_apps_run(dynlib_project, deploy, names)  # after postinstall
    moved = tmp_path / "moved elsewhere"
    shutil.move(deploy, moved)
    assert_apps_run(dynlib_project, moved, names)  # after a move


def test_rebuilt_provider_leaves_no_stale_link(dynlib_project, tmp_path: Path) -> None:
    project = dynlib_project
    wheels = project.root / "wheels"
    options = {"local_wheels": (wheels,), "index": False}
    # the provider moves its library to another folder in version 2
    provider_wheel(
        wheels,
        "accdyn_provider",
        "libaccdyn.so.1",
        "libaccdyn.so.1",
        "accdyn_value",
        42,
        version="2.0",
        lib_dir="lib2",
    )
    project.lock("framework-base", reset=["framework-base"], **options)
    project.build(
        "rt", "framework-base", "framework-mid", "app-fwfw", lock_if_needed=True, **options
    )
    mid = project.env_path("framework-mid") / "share/venv/dynlib"
    assert sorted(p.name for p in mid.iterdir()) == [
        "framework-base+accdyn_provider+lib2",
        "rt+accrt_provider+lib",
    ]
    result = run_check(project, project.env_path("app-fwfw"), "check_fwfw")
    assert result["accdyn_consumer"] == 42
