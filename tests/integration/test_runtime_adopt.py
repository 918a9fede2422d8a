"""Adopting real CPython installations, moving the copies, and running them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from venvstacks.errors import BuildError
from venvstacks.platforms.elf import is_elf
from venvstacks.runtimes import adopt_runtime, make_scripts_relocatable
from venvstacks.runtimes.adopt import STDLIB_TEST_DIRS
from venvstacks.uvtool import UvSettings, run_uv

pytestmark = pytest.mark.integration

SHARED_PREFIXES = ("/usr", "/usr/local")


def _pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def _installations() -> list[object]:
    """(prefix, executable) of every pyenv CPython >= 3.9 and system python3.X."""
    params: list[object] = []
    for folder in sorted((_pyenv_root() / "versions").glob("3.*")):
        match = re.fullmatch(r"3\.(\d+)\.\d+", folder.name)
        executable = folder / "bin" / f"python3.{match[1]}" if match else None
        if match and int(match[1]) >= 9 and executable and executable.is_file():
            params.append(pytest.param(folder, executable, id=f"pyenv-{folder.name}"))
    for executable in sorted(Path("/usr/bin").glob("python3.*")):
        if re.fullmatch(r"python3\.\d+", executable.name) and not executable.is_symlink():
            params.append(
                pytest.param(Path("/usr"), executable, id=f"system-{executable.name}")
            )
    return params


INSTALLATIONS = _installations()

CHECK_SCRIPT = """\
import json, sys, sysconfig
import ssl, sqlite3, ctypes, zlib, json, decimal
print(json.dumps({
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "executable": sys.executable,
    "paths": sysconfig.get_paths(),
    "INCLUDEPY": sysconfig.get_config_var("INCLUDEPY"),
    "LIBDIR": sysconfig.get_config_var("LIBDIR"),
    "BINDIR": sysconfig.get_config_var("BINDIR"),
    "decimal": decimal.Decimal("1.1") + decimal.Decimal("2.2") == decimal.Decimal("3.3"),
    "sqlite": sqlite3.connect(":memory:").execute("select 41 + 1").fetchone()[0],
    "zlib": zlib.decompress(zlib.compress(b"frog")).decode(),
    "ctypes": ctypes.sizeof(ctypes.c_int),
    "ssl": ssl.OPENSSL_VERSION,
    "mapped": sorted({line.split(None, 5)[-1].strip() for line in open("/proc/self/maps")
                      if "/" in line}),
}))
"""


def _version(executable: Path) -> str:
    return subprocess.run(
        [
            executable,
            "-I",
            "-S",
            "-c",
            "import sys; print('%d.%d.%d' % sys.version_info[:3])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _text_files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and b"\0" not in path.read_bytes():
            found.append(path)
    return found


def _old_prefix_pattern(prefix: Path, minor: str) -> re.Pattern[str]:
    if str(prefix) in SHARED_PREFIXES:
        # Only mentions of what was copied count: /usr/bin/env and the like are fine.
        p = re.escape(str(prefix))
        return re.compile(
            rf"(?<![\w.]){p}/(lib|include)/python{re.escape(minor)}|{p}/bin/python3"
        )
    return re.compile(re.escape(str(prefix)))


def _search_paths(path: Path) -> list[str]:
    output = subprocess.run(
        ["readelf", "-d", path], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"\((?:RUNPATH|RPATH)\).*\[(.*)\]", output)
    return match.group(1).split(":") if match else []


@pytest.mark.parametrize(("prefix", "executable"), INSTALLATIONS)
def test_adopt_move_and_run(tmp_path: Path, prefix: Path, executable: Path) -> None:
    version = _version(executable)
    minor = ".".join(version.split(".")[:2])
    built = tmp_path / "build" / f"cpython-{minor}"
    adopted = adopt_runtime(prefix, version, built)

    assert adopted.python == f"bin/python{minor}"
    assert adopted.stdlib == f"lib/python{minor}"
    assert adopted.version == version
    assert sorted(os.listdir(built.parent)) == [built.name], "no staging folder left"
    assert (built / adopted.site_packages).is_dir()
    assert not any((built / adopted.site_packages).iterdir())
    assert os.readlink(built / "bin" / "python3") == f"python{minor}"
    assert os.readlink(built / "bin" / "python") == f"python{minor}"

    stdlib = built / adopted.stdlib
    site_packages = stdlib / "site-packages"
    if site_packages.exists():
        assert not any(site_packages.iterdir())
    assert not (stdlib / "EXTERNALLY-MANAGED").exists()
    assert not (stdlib / "dist-packages").exists()
    for test_dir in STDLIB_TEST_DIRS:
        assert not (stdlib / test_dir).exists(), test_dir
    assert not list(built.rglob("__pycache__"))
    assert not list(built.rglob("*.pyc"))
    assert not list(built.glob(f"lib/python{minor}/config-*/libpython*.a"))
    for path in built.rglob("*"):
        if path.is_symlink():
            target = os.readlink(path)
            assert not target.startswith("/"), path
            assert path.resolve().is_relative_to(built.resolve()), path

    moved = tmp_path / "moved 🐸 away" / "runtime with spaces"
    moved.parent.mkdir()
    subprocess.run(["mv", built, moved], check=True)

    result = subprocess.run(
        [moved / adopted.python, "-I", "-B", "-c", CHECK_SCRIPT],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["prefix"] == str(moved)
    assert info["base_prefix"] == str(moved)
    assert info["paths"]["purelib"] == str(moved / adopted.site_packages)
    assert info["paths"]["stdlib"] == str(moved / adopted.stdlib)
    assert info["INCLUDEPY"] == str(moved / "include" / f"python{minor}")
    assert info["BINDIR"] == str(moved / "bin")
    if str(prefix) not in SHARED_PREFIXES:
        assert info["LIBDIR"] == str(moved / "lib")
    assert info["decimal"] is True
    assert info["sqlite"] == 42
    assert info["zlib"] == "frog"
    assert info["ctypes"] == 4
    assert info["ssl"].startswith("OpenSSL")
    # Every library the copy loaded from a Python folder came from the copy itself.
    for mapped in info["mapped"]:
        assert not mapped.startswith(str(prefix) + "/lib/python"), mapped
        assert not mapped.startswith(str(_pyenv_root())), mapped
        if "libpython" in mapped or "lib-dynload" in mapped:
            assert mapped.startswith(str(moved) + "/"), mapped
    if (prefix / "lib" / f"libpython{minor}.so.1.0").exists():
        assert str(moved / "lib" / f"libpython{minor}.so.1.0") in info["mapped"]

    old = _old_prefix_pattern(prefix, minor)
    for path in _text_files(moved):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not old.search(text), f"{path} mentions {prefix}"
        assert str(built) not in text, f"{path} mentions the build folder"

    if shutil.which("readelf"):
        for path in moved.rglob("*"):
            if path.is_file() and not path.is_symlink() and is_elf(path):
                for entry in _search_paths(path):
                    assert not entry.startswith(str(prefix) + "/lib"), (path, entry)
                    assert entry.startswith("$ORIGIN") or not entry.startswith(
                        str(prefix)
                    ), (path, entry)
    assert not list(moved.rglob("__pycache__"))


def test_adopt_into_existing_dest_fails(tmp_path: Path) -> None:
    prefix, executable = INSTALLATIONS[0].values  # type: ignore[attr-defined]
    dest = tmp_path / "runtime"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(BuildError, match="already exists"):
        adopt_runtime(prefix, _version(executable), dest)
    assert os.listdir(dest) == ["keep.txt"]
    assert os.listdir(tmp_path) == ["runtime"]


def test_failed_adoption_leaves_nothing(tmp_path: Path) -> None:
    prefix, executable = INSTALLATIONS[0].values  # type: ignore[attr-defined]
    version = _version(executable)
    wrong = version.rsplit(".", 1)[0] + ".99"
    with pytest.raises(BuildError, match=f"not {re.escape(wrong)}"):
        adopt_runtime(prefix, wrong, tmp_path / "runtime")
    assert os.listdir(tmp_path) == []
    with pytest.raises(BuildError, match=r"no bin/python3\.99"):
        adopt_runtime(prefix, "3.99.0", tmp_path / "runtime")
    assert os.listdir(tmp_path) == []


def _script_params() -> list[object]:
    pyenv = [p for p in INSTALLATIONS if "pyenv" in str(p.id)]  # type: ignore[attr-defined]
    system = [p for p in INSTALLATIONS if "system" in str(p.id)]  # type: ignore[attr-defined]
    return pyenv[-1:] + system[:1]


@pytest.mark.parametrize(("prefix", "executable"), _script_params())
def test_installed_console_script_survives_a_move(
    tmp_path: Path, prefix: Path, executable: Path
) -> None:
    version = _version(executable)
    minor = ".".join(version.split(".")[:2])
    runtime = tmp_path / "build dir" / "runtime"
    adopted = adopt_runtime(prefix, version, runtime)
    result = run_uv(
        ["pip", "install", "--python", str(runtime / adopted.python), "pyflakes"],
        UvSettings(),
    )
    assert result.ok, result.stderr
    scripts = [p for p in runtime.rglob("pyflakes") if p.is_file() and "bin" in p.parts]
    assert len(scripts) == 1
    script_rel = scripts[0].relative_to(runtime)

    changed = make_scripts_relocatable(runtime, adopted.python)
    assert changed == [runtime / script_rel]
    assert make_scripts_relocatable(runtime, adopted.python) == []

    moved = tmp_path / "elsewhere 🐸" / "rt"
    moved.parent.mkdir()
    subprocess.run(["mv", runtime, moved], check=True)
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n")
    run = subprocess.run([moved / script_rel, sample], capture_output=True, text=True)
    assert "'os' imported but unused" in run.stdout, run.stderr
    assert str(runtime) not in (moved / script_rel).read_text()
    assert f"python{minor}" in (moved / script_rel).read_text()
