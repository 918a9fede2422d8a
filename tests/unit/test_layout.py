from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from venvstacks.layers.layout import RuntimeShape, layout_for
from venvstacks.layers.venv import link_module_source, pyvenv_cfg, write_layered_env
from venvstacks.spec import load_stack_spec_text

SPEC = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.11"
requirements = []

[[frameworks]]
name = "a"
runtime = "rt"
requirements = []

[[frameworks]]
name = "b"
runtime = "rt"
requirements = []

[[frameworks]]
name = "c"
frameworks = ["a", "b"]
requirements = []
versioned = true

[[applications]]
name = "app"
launch_module = "app.py"
frameworks = ["c"]
requirements = []
"""

SHAPE = RuntimeShape("bin/python3.11", "lib/python3.11/site-packages", "3.11.7")


@pytest.fixture
def stack(tmp_path: Path):
    (tmp_path / "app.py").write_text("print('hi')\n")
    return load_stack_spec_text(SPEC, tmp_path / "venvstacks.toml")


def test_layered_layout_lists_lower_layers_in_import_order(stack) -> None:
    layout = layout_for(stack, stack.layer("app-app"), SHAPE)
    assert layout.python == "bin/python"
    assert layout.base_python == "../rt/bin/python3.11"
    assert layout.pylib_dirs == (
        "../framework-c/lib/python3.11/site-packages",
        "../framework-a/lib/python3.11/site-packages",
        "../framework-b/lib/python3.11/site-packages",
        "../rt/lib/python3.11/site-packages",
    )
    assert layout.launch_module == "app"
    assert layout.config()["launch_module"] == "app"


def test_layout_follows_deployed_folder_names(stack) -> None:
    names = {"framework-c": "framework-c@3", "rt": "rt@2"}
    layout = layout_for(stack, stack.layer("app-app"), SHAPE, names)
    assert layout.base_python == "../rt@2/bin/python3.11"
    assert layout.pylib_dirs[0] == "../framework-c@3/lib/python3.11/site-packages"
    assert layout.pylib_dirs[-1] == "../rt@2/lib/python3.11/site-packages"
    runtime = layout_for(stack, stack.layer("rt"), SHAPE, names)
    assert runtime.folder_name == "rt@2" and runtime.pylib_dirs == ()
    assert runtime.python == runtime.base_python == "bin/python3.11"


def test_generated_files_hold_no_absolute_path(stack, tmp_path: Path) -> None:
    layout = layout_for(stack, stack.layer("framework-c"), SHAPE)
    assert "home" not in pyvenv_cfg(layout)
    source = link_module_source(layout)
    compile(source, "_venvstacks_layers.py", "exec")
    assert str(tmp_path) not in source and "'/" not in source
    env = tmp_path / "build" / "framework-c"
    write_layered_env(env, layout)
    target = os.readlink(env / "bin" / "python3.11")
    assert target == "../../rt/bin/python3.11"
    for path in env.rglob("*"):
        if path.is_file():
            assert str(tmp_path) not in path.read_text()


def test_link_module_adds_lower_site_dirs_in_order_and_processes_pth(
    tmp_path: Path,
) -> None:
    """Run the generated module with this interpreter against fake sibling layers."""
    from venvstacks.layers.layout import LayerLayout

    layout = LayerLayout(
        env_name="app",
        folder_name="app",
        kind="application",
        python="bin/python",
        py_version="3.11.7",
        site_dir="lib/python3.11/site-packages",
        base_python="../rt/bin/python3.11",
        pylib_dirs=("../fw/lib/python3.11/site-packages", "../rt/lib/site"),
    )
    site = tmp_path / "app/lib/python3.11/site-packages"
    site.mkdir(parents=True)
    (site / "_venvstacks_layers.py").write_text(link_module_source(layout))
    fw = tmp_path / "fw/lib/python3.11/site-packages"
    fw.mkdir(parents=True)
    (fw / "extra").mkdir()
    (fw / "fw.pth").write_text("extra\n")
    (tmp_path / "rt/lib/site").mkdir(parents=True)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import _venvstacks_layers;"
        "print('\\n'.join(p for p in sys.path if p.startswith(sys.argv[2])))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code, str(site), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [str(site), str(fw), str(fw / "extra"), str(tmp_path / "rt/lib/site")]
