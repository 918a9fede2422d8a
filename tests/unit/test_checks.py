"""The per-layer check functions on hand-made folders (no uv, no builds)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from venvstacks._injected.schema import LAYER_CONFIG_PATH
from venvstacks.archive import write_archive
from venvstacks.checks import CHECK_NAMES, LayerFolder
from venvstacks.checks.archives import archive_differences, scan_deployed
from venvstacks.checks.imports import top_level_modules
from venvstacks.checks.launch import _top_level_imports


def test_top_level_modules_come_from_record(tmp_path: Path) -> None:
    info = tmp_path / "demo-1.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text(
        "demo/__init__.py,sha256=x,1\n"
        "demo/sub/mod.py,sha256=x,1\n"
        "single.py,sha256=x,1\n"
        "_speed.cpython-311-x86_64-linux-gnu.so,sha256=x,1\n"
        "demo-1.0.dist-info/METADATA,,\n"
        "../../../bin/demo,sha256=x,1\n"
        "demo.pth,sha256=x,1\n"
        "__pycache__/single.cpython-311.pyc,,\n"
        "not-a-name/x.py,,\n"
    )
    assert top_level_modules(tmp_path) == {
        "demo-1.0.dist-info": ["_speed", "demo", "single"]
    }


def test_launch_imports_are_read_without_running_the_module(tmp_path: Path) -> None:
    main = tmp_path / "__main__.py"
    main.write_text(
        "from __future__ import annotations\n"
        "import os, json as j\n"
        "from . import helpers\n"
        "from .cli import main\n"
        "from yaml import safe_load\n"
        "try:\n    import optional_thing\nexcept ImportError:\n    pass\n"
        "if False:\n    import never\n"
        "main()\n"
    )
    assert _top_level_imports(main, "app") == ["os", "json", "app", "app.cli", "yaml"]
    assert _top_level_imports(main, None) == ["os", "json", "yaml"]


def make_layer(root: Path, name: str, text: str) -> Path:
    layer = root / name
    (layer / "lib").mkdir(parents=True)
    (layer / "lib" / "data.txt").write_text(text)
    return layer


def test_archive_differences_name_the_member(tmp_path: Path) -> None:
    archives = []
    for index, text in enumerate(["same", "same", "diff"]):
        layer = make_layer(tmp_path / f"stage{index}", "fw", text)
        target = tmp_path / f"fw{index}.tar.zst"
        write_archive(layer, target, "zst", mtime=1_700_000_000)
        archives.append(target)
    assert archive_differences(archives[0], archives[1]) == []
    assert archive_differences(archives[0], archives[2]) == [
        "fw/lib/data.txt: content differ"
    ]


def test_scan_finds_absolute_and_escaping_links_and_build_paths(tmp_path: Path) -> None:
    root = tmp_path / "deployed"
    layer = make_layer(root, "fw", "built in /build/here/fw\n")
    os.symlink("/usr/bin/env", layer / "abs")
    os.symlink("../../outside", layer / "escape")
    os.symlink("../fw/lib", layer / "fine")
    folder = LayerFolder("fw", "framework", root, "fw", "bin/python", "lib")
    problems = scan_deployed(folder, ["/build/here/"])
    assert sorted(problems) == [
        "fw/abs is a symlink to the absolute path /usr/bin/env",
        "fw/escape is a symlink leaving the stack (../../outside)",
        "fw/lib/data.txt holds the build path /build/here/",
    ]


def test_layer_folder_reads_lower_layers_from_the_layer_config(tmp_path: Path) -> None:
    layer = tmp_path / "app-x@2"
    config = layer / LAYER_CONFIG_PATH
    config.parent.mkdir(parents=True)
    config.write_text(
        json.dumps(
            {
                "python": "bin/python",
                "site_dir": "lib/python3.11/site-packages",
                "base_python": "../rt/bin/python3.11",
                "pylib_dirs": [
                    "../framework-a/lib/python3.11/site-packages",
                    "../rt/lib/python3.11/site-packages",
                ],
                "launch_module": "x",
            }
        )
    )
    folder = LayerFolder.read(layer, "app-x", "application", ["helpers"])
    assert folder.lower == ("framework-a", "rt")
    assert folder.launch_module == "x"
    assert folder.interpreter == layer / "bin/python"
    assert folder.stack_folders == (layer, tmp_path / "framework-a", tmp_path / "rt")


def test_pytest_options_mirror_the_cli() -> None:
    from pytest_venvstacks.options import CHECKS, ENV_VARS
    from venvstacks.cli.check import check

    assert CHECKS == CHECK_NAMES
    cli_env_vars = {param.envvar for param in check.params}
    missing = sorted(set(ENV_VARS.values()) - cli_env_vars)
    assert missing == []
