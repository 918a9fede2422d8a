"""Prefix matching and the rewriting of _sysconfigdata, pkg-config and text files."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from venvstacks.runtimes.prefix import (
    PLACEHOLDER_PREFIX,
    Mention,
    PrefixMatcher,
    is_shared_prefix,
)
from venvstacks.runtimes.relocate import (
    is_script,
    make_relocatable,
    read_build_time_vars,
    relative_search_path,
    rewrite_pkgconfig,
    rewrite_sysconfigdata,
)

OLD = "/build/py-3.12"

SYSCONFIGDATA = f"""\
# system configuration generated and used by the sysconfig module
build_time_vars = {{'ABIFLAGS': '',
 'BINDIR': '{OLD}/bin',
 'CONFIG_ARGS': "'--prefix={OLD}' 'LDFLAGS=-L{OLD}/lib -Wl,-rpath,{OLD}/lib'",
 'INCLUDEPY': '{OLD}/include/python3.12',
 'LIBDIR': '{OLD}/lib',
 'NOT_PREFIX': '{OLD}0/lib',
 'SIZEOF_INT': 4,
 'TZPATH': '/usr/share/zoneinfo:/usr/lib/zoneinfo',
 'prefix': '{OLD}',
 'srcdir': '.'}}
"""


def _import_from(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"sysconfigdata_{abs(hash(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sysconfigdata_values_follow_the_module(tmp_path: Path) -> None:
    rel = "lib/python3.12/_sysconfigdata__linux_x86_64-linux-gnu.py"
    new = rewrite_sysconfigdata(SYSCONFIGDATA, rel, PrefixMatcher([OLD], tmp_path))
    assert new is not None
    assert f"{OLD}/" not in new and f"'{OLD}'" not in new and "={OLD}" not in new
    for name in ("first", "second place 🐸"):
        module_path = tmp_path / name / rel
        module_path.parent.mkdir(parents=True)
        module_path.write_text(new)
        values = _import_from(module_path).build_time_vars
        root = str(tmp_path / name)
        assert values["prefix"] == root
        assert values["BINDIR"] == f"{root}/bin"
        assert values["LIBDIR"] == f"{root}/lib"
        assert values["INCLUDEPY"] == f"{root}/include/python3.12"
        assert values["CONFIG_ARGS"] == (
            f"'--prefix={root}' 'LDFLAGS=-L{root}/lib -Wl,-rpath,{root}/lib'"
        )
        assert values["NOT_PREFIX"] == f"{OLD}0/lib"
        assert values["SIZEOF_INT"] == 4
        assert values["TZPATH"] == "/usr/share/zoneinfo:/usr/lib/zoneinfo"
        assert values["srcdir"] == "."
        public = [n for n in vars(_import_from(module_path)) if not n.startswith("__")]
        assert public == ["build_time_vars"]


def test_sysconfigdata_used_by_sysconfig_of_another_python(tmp_path: Path) -> None:
    """A real interpreter's sysconfig reads the rewritten module from a moved folder."""
    rel = "lib/python3.12/_sysconfigdata_venvstackstest.py"
    new = rewrite_sysconfigdata(SYSCONFIGDATA, rel, PrefixMatcher([OLD], tmp_path))
    assert new is not None
    path = tmp_path / "a b" / rel
    path.parent.mkdir(parents=True)
    path.write_text(new)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import _sysconfigdata_venvstackstest as m; print(m.build_time_vars['LIBDIR'])"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-B", "-c", code, str(path.parent)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == f"{tmp_path / 'a b'}/lib"


def test_sysconfigdata_of_a_shared_prefix_keeps_system_paths(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "lib" / "python3.11").mkdir(parents=True)
    text = (
        "build_time_vars = {'prefix': '/usr', 'BINDIR': '/usr/bin',"
        " 'INSTALL': '/usr/bin/install -c', 'LIBDIR': '/usr/lib/x86_64-linux-gnu',"
        " 'LIBDEST': '/usr/lib/python3.11', 'OTHER': '/opt/usr/lib',"
        " 'LDFLAGS': '-L/usr/lib/python3.11 -lm'}\n"
    )
    rel = "lib/python3.11/_sysconfigdata__x86_64-linux-gnu.py"
    new = rewrite_sysconfigdata(text, rel, PrefixMatcher(["/usr"], tmp_path))
    assert new is not None
    path = tmp_path / rel
    path.write_text(new)
    values = _import_from(path).build_time_vars
    assert values["prefix"] == str(tmp_path)
    assert values["BINDIR"] == f"{tmp_path}/bin"
    assert values["LIBDEST"] == f"{tmp_path}/lib/python3.11"
    assert values["LDFLAGS"] == f"-L{tmp_path}/lib/python3.11 -lm"
    assert values["INSTALL"] == "/usr/bin/install -c"
    assert values["LIBDIR"] == "/usr/lib/x86_64-linux-gnu"
    assert values["OTHER"] == "/opt/usr/lib"


def test_read_build_time_vars_rejects_unexpected_modules() -> None:
    assert read_build_time_vars(SYSCONFIGDATA) is not None
    assert read_build_time_vars("import os\nbuild_time_vars = {}\n") is None
    assert read_build_time_vars("build_time_vars = {'a': f()}\n") is None
    assert read_build_time_vars("build_time_vars = [1]\n") is None
    assert read_build_time_vars("this is not python(\n") is None
    assert (
        rewrite_sysconfigdata("x = 1\n", "lib/x.py", PrefixMatcher([OLD], Path())) is None
    )


def test_pkgconfig(tmp_path: Path) -> None:
    text = (
        f"prefix={OLD}\nexec_prefix=${{prefix}}\nlibdir={OLD}/lib\n"
        f"Libs.private: -ldl -L{OLD}/lib -Wl,-rpath,{OLD}/lib\n"
    )
    new = rewrite_pkgconfig(
        text, "lib/pkgconfig/python-3.12.pc", PrefixMatcher([OLD], tmp_path)
    )
    assert new == (
        "prefix=${pcfiledir}/../..\nexec_prefix=${prefix}\nlibdir=${prefix}/lib\n"
        "Libs.private: -ldl -L${prefix}/lib -Wl,-rpath,${prefix}/lib\n"
    )


@pytest.mark.skipif(shutil.which("pkg-config") is None, reason="needs pkg-config")
def test_pkgconfig_with_pkg_config(tmp_path: Path) -> None:
    text = f"prefix={OLD}\nincludedir=${{prefix}}/include\nName: p\nDescription: d\n"
    text += "Version: 3.12\nCflags: -I${includedir}/python3.12\n"
    folder = tmp_path / "moved" / "lib" / "pkgconfig"
    folder.mkdir(parents=True)
    pc_rel = "lib/pkgconfig/p.pc"
    (folder / "p.pc").write_text(
        rewrite_pkgconfig(text, pc_rel, PrefixMatcher([OLD], tmp_path))
    )
    result = subprocess.run(
        ["pkg-config", "--cflags", str(folder / "p.pc")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "include/python3.12" in result.stdout and OLD not in result.stdout


def test_matcher_dedicated_prefix() -> None:
    matcher = PrefixMatcher([OLD], Path("/nonexistent"))
    assert matcher.split(f"-L{OLD}/lib") == ["-L", Mention(OLD, "/lib"), "/lib"]
    assert matcher.split(f"x{OLD} /x{OLD}") == [f"x{OLD} /x{OLD}"]
    assert matcher.split(f"'{OLD}'") == ["'", Mention(OLD, ""), "'"]
    assert matcher.split(f"{OLD}.bak {OLD}0") == [f"{OLD}.bak {OLD}0"]
    assert matcher.replace(f"#!{OLD}/bin/python3.12", "/P") == "#!/P/bin/python3.12"


def test_matcher_shared_prefix(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    matcher = PrefixMatcher(["/usr"], tmp_path)
    assert matcher.replace("prefix= /usr", "/P") == "prefix= /P"
    assert matcher.replace("BINDIR=/usr/bin", "/P") == "BINDIR=/P/bin"
    assert matcher.replace("/usr/bin/install -c", "/P") == "/usr/bin/install -c"
    assert matcher.replace("/opt/usr/bin", "/P") == "/opt/usr/bin"
    assert matcher.replace("-L/usr/bin", "/P") == "-L/P/bin"
    assert matcher.replace("/usr/bin", "/P", include_shared=False) == "/usr/bin"


def test_shared_prefixes() -> None:
    assert is_shared_prefix("/usr")
    assert is_shared_prefix("/usr/local/")
    assert is_shared_prefix("/")
    assert not is_shared_prefix("/root/.pyenv/versions/3.12.1")


@given(st.lists(st.sampled_from([*"/ab.:'\" =-L\n0", OLD, "/usr"])).map("".join))
def test_split_round_trips(text: str) -> None:
    for matcher in (PrefixMatcher([OLD], Path("/")), PrefixMatcher(["/usr"], Path("/"))):
        pieces = matcher.split(text)
        assert "".join(p if isinstance(p, str) else p.prefix for p in pieces) == text


@pytest.mark.parametrize(
    ("entries", "file_rel", "expected"),
    [
        ([f"{OLD}/lib"], "bin/python3.12", ("$ORIGIN/../lib",)),
        ([f"{OLD}/lib"], "lib/libpython3.12.so.1.0", ("$ORIGIN",)),
        ([f"{OLD}/lib"], "lib/python3.12/lib-dynload/_ssl.so", ("$ORIGIN/../..",)),
        ([f"{OLD}/lib/", "/usr/lib64"], "bin/x", ("$ORIGIN/../lib", "/usr/lib64")),
        (["$ORIGIN/../lib", f"{OLD}/lib"], "bin/x", ("$ORIGIN/../lib",)),
        ([f"{OLD}0/lib"], "bin/x", (f"{OLD}0/lib",)),
        ([OLD], "bin/x", ("$ORIGIN/..",)),
    ],
)
def test_relative_search_path(
    entries: list[str], file_rel: str, expected: tuple[str, ...]
) -> None:
    assert (
        relative_search_path(entries, file_rel, PrefixMatcher([OLD], Path("/"))) == expected
    )


def test_is_script() -> None:
    assert is_script("bin/pip")
    assert is_script("lib/python3.12/config-3.12-x86_64-linux-gnu/python-config.py")
    assert not is_script("lib/python3.12/base64.py")


def _tree(root: Path, files: dict[str, str], executable: tuple[str, ...] = ()) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o755 if rel in executable else 0o644)


def test_make_relocatable_text_files(tmp_path: Path) -> None:
    root = tmp_path / "rt"
    config = "lib/python3.12/config-3.12-x86_64-linux-gnu"
    _tree(
        root,
        {
            "lib/python3.12/_sysconfigdata__linux_x86_64-linux-gnu.py": SYSCONFIGDATA,
            "lib/pkgconfig/python-3.12.pc": f"prefix={OLD}\n",
            f"{config}/Makefile": f"prefix=\t{OLD}\nLIBDIR=\t{OLD}/lib\n",
            f"{config}/python-config.py": f"#!{OLD}/bin/python3.12\nprint(1)\n",
            "lib/python3.12/base64.py": f"#! {OLD}/bin/python3.12\n'''doc'''\n",
            "bin/python3.12-config": f'#!/bin/sh\nprefix_build="{OLD}"\n',
            "bin/tool": f"#!{OLD}/bin/python3.12 -E\nprint(1)\n",
            "lib/python3.12/untouched.py": "import os\n",
        },
        executable=(
            f"{config}/python-config.py",
            "bin/python3.12-config",
            "bin/tool",
            "lib/python3.12/base64.py",
        ),
    )
    summary = make_relocatable(root, [OLD], "bin/python3.12")
    assert summary.sysconfigdata == (
        "lib/python3.12/_sysconfigdata__linux_x86_64-linux-gnu.py",
    )
    assert summary.pkgconfig == ("lib/pkgconfig/python-3.12.pc",)
    assert summary.scripts == ("bin/tool", f"{config}/python-config.py")
    assert summary.text_files == (
        "bin/python3.12-config",
        "lib/python3.12/base64.py",
        f"{config}/Makefile",
    )
    assert summary.elf_files == ()
    for path in root.rglob("*"):
        if path.is_file():
            assert not re.search(re.escape(OLD) + "(?!0)", path.read_text()), path
    assert (root / config / "Makefile").read_text() == (
        f"prefix=\t{PLACEHOLDER_PREFIX}\nLIBDIR=\t{PLACEHOLDER_PREFIX}/lib\n"
    )
    assert (root / "lib/python3.12/base64.py").read_text() == (
        f"#! {PLACEHOLDER_PREFIX}/bin/python3.12\n'''doc'''\n"
    )
    tool = (root / "bin/tool").read_text()
    assert tool.splitlines()[1].endswith('/python3.12 -E "$0" "$@"')
    assert (
        (root / config / "python-config.py")
        .read_text()
        .splitlines()[1]
        .startswith(
            '\'\'\'exec\' "$(dirname -- "$(realpath -- "$0")")"/../../../bin/python3.12'
        )
    )
    # A second pass finds nothing left to do.
    again = make_relocatable(root, [OLD], "bin/python3.12")
    assert again.scripts == again.text_files == again.sysconfigdata == ()


def test_make_relocatable_shared_prefix_keeps_module_bodies(tmp_path: Path) -> None:
    root = tmp_path / "rt"
    _tree(
        root,
        {
            "bin/python3.11": "not really\n",
            "lib/python3.11/posixpath.py": (
                "#! /usr/bin/python3.11\ndefpath = '/bin:/usr/bin'\n"
            ),
            "lib/python3.11/config-3.11/Makefile": (
                "prefix= /usr\nINSTALL= /usr/bin/install\n"
            ),
        },
    )
    make_relocatable(root, ["/usr"], "bin/python3.11")
    assert (root / "lib/python3.11/posixpath.py").read_text() == (
        f"#! {PLACEHOLDER_PREFIX}/bin/python3.11\ndefpath = '/bin:/usr/bin'\n"
    )
    assert (root / "lib/python3.11/config-3.11/Makefile").read_text() == (
        f"prefix= {PLACEHOLDER_PREFIX}\nINSTALL= /usr/bin/install\n"
    )
