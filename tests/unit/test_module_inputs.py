"""Launch/support modules and --local-wheels only ever bring in files from the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from venvstacks.engine.guards import check_folder_apart, check_local_wheels
from venvstacks.errors import BuildError, SpecError, UsageError
from venvstacks.layers.modules import install_modules, modules_hash
from venvstacks.spec import load_stack_spec
from venvstacks.spec.modulefiles import ModuleFileError, module_files

SPEC = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.12"
requirements = []

[[applications]]
name = "hello"
runtime = "rt"
launch_module = "{launch}"
support_modules = [{support}]
requirements = []
"""


def make_project(tmp_path: Path, launch: str = "hello", support: str = "") -> Path:
    project = tmp_path / "project"
    (project / "hello").mkdir(parents=True)
    (project / "hello" / "__main__.py").write_text("print('hi')\n")
    (project / "venvstacks.toml").write_text(SPEC.format(launch=launch, support=support))
    return project


def test_links_inside_the_project_are_followed_and_copied(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    shared = project / "shared"
    (shared / "deep").mkdir(parents=True)
    (shared / "deep" / "data.txt").write_text("shared data\n")
    (project / "notes.txt").write_text("notes\n")
    os.symlink("../shared", project / "hello" / "linked")
    os.symlink("../notes.txt", project / "hello" / "notes.txt")
    spec = load_stack_spec(project)
    app = spec.applications["app-hello"]
    files = [rel for rel, _ in module_files(app.launch_module, project)]
    assert files == [
        "hello/__main__.py",
        "hello/linked/deep/data.txt",
        "hello/notes.txt",
    ]
    env = tmp_path / "env"
    install_modules(env, "site", [app.launch_module], project)
    copied = env / "site" / "hello" / "linked" / "deep" / "data.txt"
    assert copied.read_text() == "shared data\n"
    assert not copied.is_symlink()
    assert not (env / "site" / "hello" / "notes.txt").is_symlink()


def test_link_swapped_after_loading_fails_the_build(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    outside = tmp_path / "secret.txt"
    outside.write_text("secret\n")
    spec = load_stack_spec(project)
    app = spec.applications["app-hello"]
    os.symlink(outside, project / "hello" / "token.txt")
    with pytest.raises(BuildError, match="outside the folder"):
        modules_hash([app.launch_module], project)
    with pytest.raises(BuildError, match=r"token\.txt"):
        install_modules(tmp_path / "env", "site", [app.launch_module], project)
    assert not (tmp_path / "env" / "site" / "hello" / "token.txt").exists()


def test_special_files_are_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    os.mkfifo(project / "hello" / "pipe")
    with pytest.raises(ModuleFileError, match="not a regular file"):
        list(module_files(project / "hello", project))


def test_symlinked_support_module_outside_is_a_spec_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, support='"helpers.py"')
    (tmp_path / "elsewhere.py").write_text("X = 1\n")
    os.symlink(tmp_path / "elsewhere.py", project / "helpers.py")
    with pytest.raises(SpecError) as info:
        load_stack_spec(project)
    assert info.value.field == "applications[0].support_modules[0]"
    assert "outside the folder" in info.value.paragraph()


def test_module_under_a_linked_folder_outside_is_refused(tmp_path: Path) -> None:
    project = make_project(tmp_path, launch="ext/tool.py")
    (tmp_path / "ext").mkdir()
    (tmp_path / "ext" / "tool.py").write_text("print(1)\n")
    os.symlink(tmp_path / "ext", project / "ext")
    with pytest.raises(SpecError, match="outside the folder"):
        load_stack_spec(project)


@pytest.mark.parametrize("where", ["hello/_build", "."])
def test_build_or_output_folder_overlapping_a_module(tmp_path: Path, where: str) -> None:
    project = make_project(tmp_path)
    spec = load_stack_spec(project)
    folder = project / where if where != "." else project
    with pytest.raises(UsageError) as info:
        check_folder_apart(spec, folder, "build folder")
    assert info.value.layer == "app-hello"
    assert info.value.field == "applications[0].launch_module"
    check_folder_apart(spec, project / "_build", "build folder")


def test_local_wheels_links_must_stay_inside(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    spec = load_stack_spec(project)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "a-1-py3-none-any.whl").write_bytes(b"")
    os.symlink("a-1-py3-none-any.whl", wheels / "b-1-py3-none-any.whl")
    (project / "c-1-py3-none-any.whl").write_bytes(b"")
    os.symlink(project / "c-1-py3-none-any.whl", wheels / "c-1-py3-none-any.whl")
    check_local_wheels(spec, [wheels])
    (tmp_path / "secret").write_bytes(b"")
    os.symlink(tmp_path / "secret", wheels / "d-1-py3-none-any.whl")
    with pytest.raises(UsageError, match=r"d-1-py3-none-any\.whl"):
        check_local_wheels(spec, [wheels])


def test_absolute_module_elsewhere_draws_only_from_its_own_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "tool").mkdir(parents=True)
    (elsewhere / "tool" / "__main__.py").write_text("print(1)\n")
    (elsewhere / "shared.txt").write_text("shared\n")
    os.symlink("../shared.txt", elsewhere / "tool" / "shared.txt")
    project = make_project(tmp_path, launch=str(elsewhere / "tool"))
    app = load_stack_spec(project).applications["app-hello"]
    assert app.launch_module == elsewhere / "tool"
    assert [rel for rel, _ in module_files(app.launch_module, project)] == [
        "tool/__main__.py",
        "tool/shared.txt",
    ]
    (tmp_path / "secret.txt").write_text("secret\n")
    os.symlink(tmp_path / "secret.txt", elsewhere / "tool" / "secret.txt")
    with pytest.raises(SpecError, match="is a symlink to"):
        load_stack_spec(project)
