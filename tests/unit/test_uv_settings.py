"""uv settings are checked against what uv itself accepts, before uv runs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from venvstacks.errors import SpecError
from venvstacks.lock.locker import settings_warning
from venvstacks.spec import load_stack_spec_text
from venvstacks.spec.uvkeys import UV_KEYS, UV_VERSION
from venvstacks.uvtool import UvSettings, uv_binary, uv_version

RUNTIME = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.12"
requirements = []
"""


def uv_lock_stderr(folder: Path, uv_table: str) -> str:
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "probe"\nversion = "0"\nrequires-python = ">=3.8"\n'
        f"dependencies = []\n\n[tool.uv]\n{uv_table}\n"
    )
    result = subprocess.run(
        [uv_binary(), "lock", "--offline", "--no-cache", "--directory", str(folder)],
        capture_output=True,
        text=True,
        env=UvSettings().environ(),
        check=False,
    )
    return result.stderr


def load(tmp_path: Path, uv_table: str) -> None:
    load_stack_spec_text(
        f"{RUNTIME}\n[tool.uv]\n{uv_table}\n", tmp_path / "venvstacks.toml"
    )


def test_table_lists_exactly_the_keys_of_the_installed_uv(tmp_path: Path) -> None:
    if uv_version() != UV_VERSION:
        pytest.skip(f"uvkeys.py is generated from uv {UV_VERSION}, not {uv_version()}")
    stderr = uv_lock_stderr(tmp_path, "venvstacks-probe-key = 1")
    match = re.search(r"expected one of ((?:`[^`]*`(?:, )?)+)", stderr)
    assert match, stderr
    assert set(re.findall(r"`([^`]*)`", match[1])) == set(UV_KEYS), (
        "uv's settings changed: run tools/uv_settings_table.py"
    )


@pytest.mark.parametrize(
    "uv_table",
    [
        'exclude-newer = "2020-01-01T00:00:00Z"\nno-build = true',
        'resolution = "lowest-direct"\nprerelease = "allow"',
        'index-strategy = "unsafe-best-match"\nconcurrent-downloads = 4',
        'environments = ["sys_platform == \'linux\'"]\nconstraint-dependencies = ["a<2"]',
        "[tool.uv.pip]\nno-build = true\ncompile-bytecode = false",
        '[[tool.uv.index]]\nname = "mine"\nurl = "https://example.invalid/simple"',
    ],
)
def test_valid_settings_load_and_uv_agrees(tmp_path: Path, uv_table: str) -> None:
    load(tmp_path, uv_table)
    assert settings_warning(uv_lock_stderr(tmp_path, uv_table)) is None


@pytest.mark.parametrize(
    ("uv_table", "message"),
    [
        ("typo-key = true", "unknown uv setting 'typo-key'"),
        ('resolution = "banana"', "'banana' is not a valid value"),
        ("index-url = 5", "must be a string, not an integer"),
        ("no-build-package = true", "must be an array, not a boolean"),
        ('link-mode = "hardlnk"', "(did you mean 'hardlink'?)"),
    ],
)
def test_invalid_settings_fail_at_load_and_uv_warns(
    tmp_path: Path, uv_table: str, message: str
) -> None:
    with pytest.raises(SpecError, match=re.escape(message)):
        load(tmp_path, uv_table)
    warning = settings_warning(uv_lock_stderr(tmp_path, uv_table))
    assert warning is not None
    assert "Failed to parse" in warning


def test_settings_warning_ignores_other_warnings() -> None:
    stderr = (
        "Using CPython 3.11.7\n"
        "warning: The package `x` does not have an extra named `y`\n"
        "Resolved 3 packages in 5ms\n"
    )
    assert settings_warning(stderr) is None
