"""Shebang parsing, relative trampolines and make_scripts_relocatable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from venvstacks.runtimes.scripts import (
    is_python_name,
    make_scripts_relocatable,
    parse_shebang,
    retarget_shebang,
    trampoline,
)

PY = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def test_trampoline_text_in_bin() -> None:
    assert trampoline("bin/tool", f"bin/{PY}") == (
        "#!/bin/sh\n"
        f'\'\'\'exec\' "$(dirname -- "$(realpath -- "$0")")"/{PY} "$0" "$@"\n'
        "' '''\n"
    )


def test_trampoline_relative_path_from_other_folders() -> None:
    text = trampoline(
        "lib/python3.12/config-3.12-x86_64-linux-gnu/python-config.py", "bin/python3.12"
    )
    assert '"/../../../bin/python3.12 "$0"' in text
    assert '/../../bin/python3.11 "$0"' in trampoline("local/bin/x", "bin/python3.11")


def test_trampoline_keeps_interpreter_options() -> None:
    text = trampoline("bin/tool", "bin/python3.12", ["-E", "-s"])
    assert text.splitlines()[1].endswith('/python3.12 -E -s "$0" "$@"')


def test_trampoline_is_valid_python_that_does_nothing() -> None:
    namespace: dict[str, object] = {}
    exec(
        compile(trampoline("bin/x", "bin/python3.12") + "VALUE = 42\n", "x", "exec"),
        namespace,
    )
    assert namespace["VALUE"] == 42


@pytest.mark.parametrize(
    ("text", "interpreter", "args", "is_trampoline"),
    [
        ("#!/opt/p/bin/python3.12\nimport sys\n", "/opt/p/bin/python3.12", (), False),
        ("#! /usr/bin/python3.11\n", "/usr/bin/python3.11", (), False),
        ("#!/opt/p/bin/python3 -E -s\nx\n", "/opt/p/bin/python3", ("-E", "-s"), False),
        (
            "#!/bin/sh\n'''exec' '/tmp/a b/bin/python3.12' \"$0\" \"$@\"\n' '''\nx = 1\n",
            "/tmp/a b/bin/python3.12",
            (),
            True,
        ),
        (
            "#!/bin/sh\n'''exec' \"/tmp/a b/bin/python3.12\" \"$0\" \"$@\"\n' '''\n",
            "/tmp/a b/bin/python3.12",
            (),
            True,
        ),
        ("#!/bin/sh\necho hello\n", "/bin/sh", (), False),
    ],
)
def test_parse_shebang(
    text: str, interpreter: str, args: tuple[str, ...], is_trampoline: bool
) -> None:
    shebang = parse_shebang(text)
    assert shebang is not None
    assert shebang.interpreter == interpreter
    assert shebang.args == args
    assert shebang.trampoline is is_trampoline


def test_parse_shebang_none() -> None:
    assert parse_shebang("import sys\n") is None
    assert parse_shebang("#!\n") is None
    assert parse_shebang("") is None


def test_retarget_keeps_the_body() -> None:
    text = "#!/old/bin/python3.12\n# -*- coding: utf-8 -*-\nprint('hi')\n"
    shebang = parse_shebang(text)
    assert shebang is not None
    new = retarget_shebang(text, shebang, "bin/tool", "bin/python3.12")
    assert new.endswith("# -*- coding: utf-8 -*-\nprint('hi')\n")
    assert new.startswith("#!/bin/sh\n'''exec' ")


def test_retarget_of_a_relative_trampoline_is_stable() -> None:
    text = trampoline("bin/tool", "bin/python3.12") + "print('hi')\n"
    shebang = parse_shebang(text)
    assert shebang is not None and shebang.trampoline
    assert retarget_shebang(text, shebang, "bin/tool", "bin/python3.12") == text


@given(st.sampled_from(["python", "python3", "python3.9", "python3.13", "python3.13t"]))
def test_python_names(name: str) -> None:
    assert is_python_name(name)


@pytest.mark.parametrize("name", ["pythonw", "python3-config", "python3.12-config", "pip"])
def test_not_python_names(name: str) -> None:
    assert not is_python_name(name)


def _fake_runtime(root: Path) -> Path:
    """A runtime folder whose bin/pythonX.Y is a symlink to the running interpreter."""
    (root / "bin").mkdir(parents=True)
    python = root / "bin" / PY
    python.symlink_to(os.path.realpath(sys.executable))
    return python


def _write_script(path: Path, first_lines: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(first_lines + "import sys\nprint('ran', sys.argv[1:])\n")
    path.chmod(0o755)


def test_make_scripts_relocatable_moves_with_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "runtime"
    python = _fake_runtime(root)
    _write_script(root / "bin" / "plain", f"#!{python}\n")
    _write_script(
        root / "bin" / "spaced", f"#!/bin/sh\n'''exec' '{python}' \"$0\" \"$@\"\n' '''\n"
    )
    _write_script(root / "local" / "bin" / "debian", f"#!{python}\n")
    _write_script(root / "bin" / "other", "#!/usr/bin/env python3\n")
    _write_script(root / "bin" / "shell", "#!/bin/sh\n")
    (root / "bin" / "link").symlink_to("plain")
    (root / "bin" / "binary").write_bytes(b"\x7fELF\0\0\0")

    changed = make_scripts_relocatable(root, f"bin/{PY}")
    assert sorted(p.name for p in changed) == ["debian", "plain", "spaced"]
    assert make_scripts_relocatable(root, f"bin/{PY}") == []
    assert (root / "bin" / "other").read_text().startswith("#!/usr/bin/env python3\n")

    moved = tmp_path / "moved 🐸 here"
    shutil.move(root, moved)
    for script in ("bin/plain", "bin/spaced", "local/bin/debian"):
        result = subprocess.run(
            [moved / script, "a b"], capture_output=True, text=True, check=True
        )
        assert result.stdout == "ran ['a b']\n"
        assert str(tmp_path / "runtime") not in (moved / script).read_text()


def test_make_scripts_relocatable_without_bin(tmp_path: Path) -> None:
    assert make_scripts_relocatable(tmp_path, "bin/python3.12") == []
