"""Deploying layers side by side and running postinstall.py with several Pythons.

The deployment is a real adopted runtime plus two layered environments (a framework
and an application using it). Layers are broken the way extractors and users break
them, repaired by running each layer's ``postinstall.py`` with a *different* Python
(3.9, the system 3.11, 3.13), moved to a path with spaces and a frog, and published
as archives and unpacked again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.unit.test_postinstall import layered_layout, runtime_layout
from venvstacks._injected import POSTINSTALL_SCRIPT
from venvstacks.archive import SUFFIXES, ArchiveFormat, unpack_archive, write_archive
from venvstacks.layers.venv import write_layer_config, write_layered_env
from venvstacks.runtimes import adopt_runtime

pytestmark = pytest.mark.integration

SOURCE_PYTHON = Path("/root/.pyenv/versions/3.11.7")
RUNTIME = "cpython-3.11"
FRAMEWORK = "framework-a"
APP = "app-b@1"
SITE = "lib/python3.11/site-packages"
INTERPRETERS = [
    Path("/root/.pyenv/versions/3.9.18/bin/python3.9"),
    Path("/usr/bin/python3.11"),
    Path("/root/.pyenv/versions/3.13.0/bin/python3.13"),
]
OLDEST = INTERPRETERS[0]
SYSTEM_PYTHON = Path("/usr/bin/python3.11")
RUNNERS = [
    pytest.param(
        path,
        id=path.name,
        marks=pytest.mark.skipif(not path.exists(), reason=f"{path} is not installed"),
    )
    for path in INTERPRETERS
]
CHECK = (
    "import sys, fwmod; "
    "print(sys.prefix); print(sys.base_prefix); print(fwmod.__file__); print(fwmod.VALUE)"
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete, working deployment to copy from."""
    if not (SOURCE_PYTHON / "bin" / "python3.11").exists():
        pytest.skip(f"needs {SOURCE_PYTHON}")
    deploy = tmp_path_factory.mktemp("template") / "build"
    runtime = deploy / RUNTIME
    adopt_runtime(SOURCE_PYTHON, "3.11.7", runtime)
    write_layer_config(runtime, runtime_layout())
    write_layered_env(deploy / FRAMEWORK, layered_layout(FRAMEWORK))
    (deploy / FRAMEWORK / SITE / "fwmod.py").write_text("VALUE = 'from the framework'\n")
    write_layered_env(deploy / APP, layered_layout(APP, (FRAMEWORK,)))
    for layer in (RUNTIME, FRAMEWORK, APP):
        shutil.copy(POSTINSTALL_SCRIPT, deploy / layer / "postinstall.py")
    return deploy


def copy_layers(template: Path, dest: Path, layers: tuple[str, ...]) -> Path:
    """Copy layers (hard links for the runtime's files: nothing writes through them)."""
    dest.mkdir(parents=True, exist_ok=True)
    for layer in layers:
        copy = os.link if layer == RUNTIME else shutil.copy2
        shutil.copytree(template / layer, dest / layer, symlinks=True, copy_function=copy)
    return dest


def postinstall(layer: Path, python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [os.fspath(python), os.fspath(layer / "postinstall.py"), *args],
        capture_output=True,
        text=True,
        cwd="/",
        check=False,
    )


def postinstall_all(deploy: Path, python: Path) -> None:
    for layer in (RUNTIME, FRAMEWORK, APP):
        result = postinstall(deploy / layer, python)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def check_app(deploy: Path) -> None:
    app = deploy / APP
    out = subprocess.run(
        [os.fspath(app / "bin" / "python"), "-B", "-c", CHECK],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    ).stdout.splitlines()
    assert out == [
        os.fspath(app),
        os.fspath(deploy / RUNTIME),
        os.fspath(deploy / FRAMEWORK / SITE / "fwmod.py"),
        "from the framework",
    ]


def digest(deploy: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(deploy.rglob("*")):
        st = path.lstat()
        sha.update(f"{path.relative_to(deploy)}|{st.st_mode:o}|{st.st_mtime_ns}|".encode())
        if path.is_symlink():
            sha.update(os.readlink(path).encode())
        elif path.is_file():
            sha.update(hashlib.sha256(path.read_bytes()).digest())
    return sha.hexdigest()


def break_deployment(deploy: Path) -> None:
    fw_bin = deploy / FRAMEWORK / "bin"
    (fw_bin / "python3.11").unlink()
    (fw_bin / "python").unlink()
    app_bin = deploy / APP / "bin"
    (app_bin / "python3.11").unlink()
    (app_bin / "python3.11").write_text(f"../../{RUNTIME}/bin/python3.11")
    (app_bin / "python3").unlink()
    (app_bin / "python3").symlink_to("/usr/bin/python3")
    for layer in (FRAMEWORK, APP):
        cfg = deploy / layer / "pyvenv.cfg"
        cfg.write_text("home = /somewhere/else/bin\n" + cfg.read_text())
    (deploy / RUNTIME / "bin" / "python3").unlink()


@pytest.mark.parametrize("python", RUNNERS)
def test_broken_deployment_is_repaired_and_stays_relocatable(
    template: Path, tmp_path: Path, python: Path
) -> None:
    deploy = copy_layers(template, tmp_path / "deploy", (RUNTIME, FRAMEWORK, APP))
    break_deployment(deploy)
    postinstall_all(deploy, python)
    for layer in (FRAMEWORK, APP):
        assert "home" not in (deploy / layer / "pyvenv.cfg").read_text()
        target = os.readlink(deploy / layer / "bin" / "python3.11")
        assert target == f"../../{RUNTIME}/bin/python3.11"
    assert os.readlink(deploy / RUNTIME / "bin" / "python3") == "python3.11"
    check_app(deploy)
    before = digest(deploy)
    postinstall_all(deploy, python)
    assert digest(deploy) == before

    moved = tmp_path / "moved dep 🐸" / "side by side"
    moved.parent.mkdir()
    deploy.rename(moved)
    check_app(moved)
    before = digest(moved)
    postinstall_all(moved, python)
    assert digest(moved) == before
    check_app(moved)


@pytest.mark.parametrize("python", RUNNERS)
def test_layers_may_be_deployed_in_any_order(
    template: Path, tmp_path: Path, python: Path
) -> None:
    deploy = copy_layers(template, tmp_path / "deploy 🐸", (APP,))
    alone = postinstall(deploy / APP, python)
    assert alone.returncode == 0 and alone.stdout == ""
    first_line = alone.stderr.splitlines()[0]
    assert FRAMEWORK in first_line and RUNTIME in first_line
    copy_layers(template, deploy, (RUNTIME,))
    partial = postinstall(deploy / APP, python)
    assert partial.returncode == 0
    assert FRAMEWORK in partial.stderr and RUNTIME not in partial.stderr
    copy_layers(template, deploy, (FRAMEWORK,))
    postinstall_all(deploy, python)
    check_app(deploy)


@pytest.mark.parametrize("fmt", ["zst", "zip"])
def test_published_archives_deploy_and_run(
    template: Path, tmp_path: Path, fmt: ArchiveFormat
) -> None:
    archives = tmp_path / "published"
    archives.mkdir()
    forbidden = [os.fsencode(template), os.fsencode(template.parent)]
    paths = [
        write_archive(
            template / layer,
            archives / (layer + SUFFIXES[fmt]),
            fmt,
            mtime=1_700_000_000,
            forbidden=forbidden,
            exclude=lambda name: name.endswith("__pycache__"),
        ).path
        for layer in (APP, FRAMEWORK, RUNTIME)
    ]
    deploy = tmp_path / "deployed 🐸 here"
    for path in paths:
        unpack_archive(path, deploy)
    postinstall_all(deploy, OLDEST if OLDEST.exists() else SYSTEM_PYTHON)
    check_app(deploy)


def test_extractor_without_symlinks_or_modes_is_repaired(
    template: Path, tmp_path: Path
) -> None:
    """Python's zipfile.extractall writes symlinks as files and drops exec bits."""
    archives = tmp_path / "published"
    archives.mkdir()
    deploy = tmp_path / "deploy"
    for layer in (RUNTIME, FRAMEWORK, APP):
        path = write_archive(
            template / layer, archives / f"{layer}.zip", "zip", mtime=1_700_000_000
        ).path
        with zipfile.ZipFile(path) as archive:
            archive.extractall(deploy)
    assert not (deploy / APP / "bin" / "python3.11").is_symlink()
    assert not os.access(deploy / RUNTIME / "bin" / "python3.11", os.X_OK)
    for layer in (RUNTIME, FRAMEWORK, APP):
        result = postinstall(deploy / layer, SYSTEM_PYTHON, "-v")
        assert result.returncode == 0, result.stderr
    assert (deploy / RUNTIME / "bin" / "python3").is_symlink()
    check_app(deploy)
