"""The postinstall script shipped in deployed layers: unit tests on a small deployment.

A real runtime is adopted once per module; each test adds its own layered layer beside
it (or works on a hard-linked copy of the runtime), breaks it, and runs the script.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from venvstacks._injected import POSTINSTALL_SCRIPT
from venvstacks._injected import postinstall as pi
from venvstacks.layers.layout import LayerLayout
from venvstacks.layers.venv import write_layer_config, write_layered_env
from venvstacks.runtimes import adopt_runtime

SOURCE_PYTHON = Path("/root/.pyenv/versions/3.11.7")
RUNNER = Path("/usr/bin/python3.11")
RUNTIME = "cpython-3.11"
SITE = "lib/python3.11/site-packages"

pytestmark = pytest.mark.skipif(
    not (SOURCE_PYTHON / "bin/python3.11").exists() or not RUNNER.exists(),
    reason="needs pyenv's CPython 3.11.7 and /usr/bin/python3.11",
)


def runtime_layout(folder: str = RUNTIME) -> LayerLayout:
    return LayerLayout(
        env_name=folder,
        folder_name=folder,
        kind="runtime",
        python="bin/python3.11",
        py_version="3.11.7",
        site_dir=SITE,
        base_python="bin/python3.11",
        pylib_dirs=(),
    )


def layered_layout(
    name: str, lower: tuple[str, ...] = (), runtime: str = RUNTIME
) -> LayerLayout:
    return LayerLayout(
        env_name=name,
        folder_name=name,
        kind="framework",
        python="bin/python",
        py_version="3.11.7",
        site_dir=SITE,
        base_python=f"../{runtime}/bin/python3.11",
        pylib_dirs=(*(f"../{low}/{SITE}" for low in lower), f"../{runtime}/{SITE}"),
    )


def add_runtime(deploy: Path, folder: str = RUNTIME) -> Path:
    layer = deploy / folder
    adopt_runtime(SOURCE_PYTHON, "3.11.7", layer)
    write_layer_config(layer, runtime_layout(folder))
    shutil.copy(POSTINSTALL_SCRIPT, layer / "postinstall.py")
    return layer


def add_layered(deploy: Path, layout: LayerLayout) -> Path:
    layer = deploy / layout.folder_name
    write_layered_env(layer, layout)
    shutil.copy(POSTINSTALL_SCRIPT, layer / "postinstall.py")
    return layer


def run_postinstall(
    layer: Path, *args: str, python: Path = RUNNER, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [os.fspath(python), os.fspath(layer / "postinstall.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd or layer.parent.parent,
        check=False,
    )


def layer_python(layer: Path, code: str) -> str:
    python = layer / "bin" / "python"
    return subprocess.run(
        [os.fspath(python), "-B", "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def digest(folder: Path) -> str:
    """Names, types, modes, contents and link targets of everything below ``folder``."""
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        sha.update(f"{path.relative_to(folder)}|{st.st_mode:o}|".encode())
        if path.is_symlink():
            sha.update(os.readlink(path).encode())
        elif path.is_file():
            sha.update(path.read_bytes())
        sha.update(b"\n")
    return sha.hexdigest()


@pytest.fixture(scope="module")
def deploy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("deploy")
    add_runtime(folder)
    return folder


_counter = iter(range(10**6))


@pytest.fixture
def layer(deploy: Path) -> Iterator[Path]:
    path = add_layered(deploy, layered_layout(f"framework-{next(_counter)}"))
    yield path
    shutil.rmtree(path)


# -- the script's source -----------------------------------------------------


def test_script_parses_as_python_3_9() -> None:
    source = POSTINSTALL_SCRIPT.read_text("utf-8")
    tree = ast.parse(source, feature_version=(3, 9))
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Match)]
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)]
    imports: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imports.add((node.module or "").split(".")[0])
    assert imports <= {"argparse", "json", "os", "subprocess", "sys", "typing"}


# -- pure functions ----------------------------------------------------------


def test_pyvenv_cfg_loses_home_and_keeps_other_keys(tmp_path: Path) -> None:
    cfg = tmp_path / "pyvenv.cfg"
    cfg.write_text("home = /somewhere/bin\nversion = 3.11.7\nHome=/x\nrelocatable = true\n")
    log = pi.Log()
    config = {"py_version": "3.11.7"}
    assert pi.rewrite_pyvenv_cfg(os.fspath(tmp_path), config, None, log)
    assert cfg.read_text() == "version = 3.11.7\nrelocatable = true\n"
    assert not pi.rewrite_pyvenv_cfg(os.fspath(tmp_path), config, None, log)
    assert len(log.actions) == 1
    assert pi.rewrite_pyvenv_cfg(os.fspath(tmp_path), config, "C:\\rt", log)
    assert cfg.read_text() == "home = C:\\rt\nversion = 3.11.7\nrelocatable = true\n"
    cfg.unlink()
    assert pi.rewrite_pyvenv_cfg(os.fspath(tmp_path), config, None, log)
    assert "version = 3.11.7" in cfg.read_text()


def test_windows_sets_home_to_the_runtime_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layer = tmp_path / "fw"
    layer.mkdir()
    (layer / "pyvenv.cfg").write_text("version = 3.11.7\n")
    config = {"py_version": "3.11.7", "base_python": "../rt/python.exe", "python": "x"}
    monkeypatch.setattr(pi.os, "name", "nt")
    pi.fix_layered(os.fspath(layer), config, pi.Log())
    monkeypatch.undo()
    expected = f"home = {tmp_path / 'rt'}\nversion = 3.11.7\n"
    assert (layer / "pyvenv.cfg").read_text() == expected
    assert not (layer / "bin").exists()


def test_symlinks_replace_wrong_links_and_files(tmp_path: Path) -> None:
    log = pi.Log()
    link = tmp_path / "python3"
    assert pi.ensure_symlink(os.fspath(link), "python3.11", log)
    assert not pi.ensure_symlink(os.fspath(link), "python3.11", log)
    link.unlink()
    link.write_text("python3.11")  # an extractor without symlink support
    assert pi.ensure_symlink(os.fspath(link), "python3.11", log)
    assert os.readlink(link) == "python3.11"
    link.unlink()
    link.symlink_to("/usr/bin/python3")
    assert pi.ensure_symlink(os.fspath(link), "python3.11", log)
    assert os.readlink(link) == "python3.11"
    assert len(log.actions) == 3
    assert list(tmp_path.iterdir()) == [link]
    (tmp_path / "folder").mkdir()
    with pytest.raises(pi.PostinstallError):
        pi.ensure_symlink(os.fspath(tmp_path / "folder"), "x", log)


def test_missing_lower_layers_are_named(tmp_path: Path) -> None:
    layer = tmp_path / "app"
    (tmp_path / "fw-a" / SITE).mkdir(parents=True)
    layout = layered_layout("app", ("fw-a", "fw-b@2"), runtime="rt@1")
    missing = pi.missing_lower_layers(os.fspath(layer), layout.config())
    assert missing == ["fw-b@2", "rt@1"]


# -- running the script ------------------------------------------------------


def test_broken_layer_is_repaired_quietly(layer: Path) -> None:
    bin_dir = layer / "bin"
    (bin_dir / "python3.11").unlink()
    (bin_dir / "python3").unlink()
    (bin_dir / "python3").write_text("python3.11")
    (bin_dir / "python").unlink()
    (bin_dir / "python").symlink_to("/usr/bin/python3.11")
    cfg = layer / "pyvenv.cfg"
    cfg.write_text("home = /somewhere/bin\n" + cfg.read_text())
    result = run_postinstall(layer)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert os.readlink(bin_dir / "python3.11") == f"../../{RUNTIME}/bin/python3.11"
    assert os.readlink(bin_dir / "python3") == "python3.11"
    assert os.readlink(bin_dir / "python") == "python3.11"
    assert "home" not in cfg.read_text()
    assert "venvstacks-layer" in cfg.read_text()
    assert layer_python(layer, "import sys; print(sys.prefix)") == os.fspath(layer)
    before = digest(layer)
    again = run_postinstall(layer, "-v")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert digest(layer) == before


def test_verbose_reports_one_line_per_action(layer: Path) -> None:
    (layer / "bin" / "python3.11").unlink()
    (layer / "bin" / "python").unlink()
    result = run_postinstall(layer, "-v", cwd=Path("/"))
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("linked ") for line in lines)


def test_missing_lower_layer_warns_and_succeeds(deploy: Path) -> None:
    layer = add_layered(deploy, layered_layout("app-missing", ("framework-nowhere",)))
    try:
        result = run_postinstall(layer)
        assert result.returncode == 0
        assert result.stderr.count("\n") == 1 and "framework-nowhere" in result.stderr
        quiet = run_postinstall(layer, "--quiet")
        assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    finally:
        shutil.rmtree(layer)


def test_missing_runtime_skips_the_check(tmp_path: Path) -> None:
    layer = add_layered(tmp_path / "deploy", layered_layout("fw", runtime="rt-later"))
    result = run_postinstall(layer)
    assert result.returncode == 0
    assert "rt-later" in result.stderr
    assert os.readlink(layer / "bin" / "python3.11") == "../../rt-later/bin/python3.11"


def test_runtime_layer_links_and_exec_bit_are_restored(
    deploy: Path, tmp_path: Path
) -> None:
    runtime = tmp_path / RUNTIME
    shutil.copytree(deploy / RUNTIME, runtime, symlinks=True, copy_function=os.link)
    interpreter = runtime / "bin" / "python3.11"
    shutil.copy2(interpreter, tmp_path / "python.tmp")  # own inode: chmod stays local
    os.replace(tmp_path / "python.tmp", interpreter)
    interpreter.chmod(0o644)
    (runtime / "bin" / "python3").unlink()
    (runtime / "bin" / "python").unlink()
    (runtime / "bin" / "python").write_text("python3.11")
    result = run_postinstall(runtime, "-v")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 3
    assert interpreter.stat().st_mode & 0o777 == 0o755
    assert os.readlink(runtime / "bin" / "python3") == "python3.11"
    assert os.readlink(runtime / "bin" / "python") == "python3.11"
    before = digest(runtime)
    assert run_postinstall(runtime).returncode == 0
    assert digest(runtime) == before


def test_broken_interpreter_fails_with_one_line(tmp_path: Path) -> None:
    runtime = tmp_path / RUNTIME
    (runtime / "bin").mkdir(parents=True)
    (runtime / "bin" / "python3.11").write_text("#!/bin/sh\necho boom >&2\nexit 3\n")
    write_layer_config(runtime, runtime_layout())
    shutil.copy(POSTINSTALL_SCRIPT, runtime / "postinstall.py")
    result = run_postinstall(runtime)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "boom" in result.stderr and "error:" in result.stderr


def test_missing_config_fails(tmp_path: Path) -> None:
    shutil.copy(POSTINSTALL_SCRIPT, tmp_path / "postinstall.py")
    result = run_postinstall(tmp_path)
    assert result.returncode == 1 and "venvstacks_layer.json" in result.stderr
