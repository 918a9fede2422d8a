"""Discovery output parsing, version matching, download lists and provider messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from venvstacks.errors import RuntimeNotFoundError
from venvstacks.plugins import PluginManager
from venvstacks.runtimes.discovery import (
    QUERY_SCRIPT,
    find_matching,
    parse_query_output,
    parse_uv_paths,
    sort_installed,
)
from venvstacks.runtimes.download import (
    find_installed_download,
    install_download,
    parse_download_list,
)
from venvstacks.runtimes.model import InstalledPython
from venvstacks.runtimes.providers import (
    builtin_plugins,
    describe_installed,
    not_found_error,
)
from venvstacks.spec.model import RuntimeRequest


def _answer(**changes: object) -> str:
    info: dict[str, object] = {
        "implementation": "cpython",
        "version": "3.12.1",
        "base_prefix": "/root/.pyenv/versions/3.12.1",
        "executable": "/root/.pyenv/versions/3.12.1/bin/python3.12",
        "shared": True,
        "freethreaded": False,
        "venv": False,
    }
    info.update(changes)
    return json.dumps(info)


def _python(version: str, prefix: str = "", origin: str = "pyenv") -> InstalledPython:
    prefix = prefix or f"/p/{version}"
    return InstalledPython(
        "cpython", version, Path(prefix), Path(prefix, "bin/python3"), origin
    )


def test_parse_query_output() -> None:
    python = parse_query_output("some warning\n" + _answer() + "\n", "pyenv")
    assert python == InstalledPython(
        "cpython",
        "3.12.1",
        Path("/root/.pyenv/versions/3.12.1"),
        Path("/root/.pyenv/versions/3.12.1/bin/python3.12"),
        "pyenv",
        shared=True,
    )
    assert python.minor == "3.12"
    assert python.describe() == "cpython@3.12.1 (pyenv, /root/.pyenv/versions/3.12.1)"


@pytest.mark.parametrize(
    "output",
    [
        _answer(venv=True),
        _answer(freethreaded=True),
        _answer(implementation="pypy"),
        _answer(version="3.8.18"),
        _answer(version="2.7.18"),
        _answer(version="not a version"),
        '{"implementation": "cpython"}',
        "Traceback (most recent call last):",
        "",
    ],
)
def test_parse_query_output_rejects(output: str) -> None:
    assert parse_query_output(output, "path") is None


def test_parse_query_output_prerelease() -> None:
    python = parse_query_output(_answer(version="3.14.0rc1"), "uv")
    assert python is not None and python.version == "3.14.0rc1"


def test_query_script_on_this_venv() -> None:
    """The running interpreter is a virtual environment, so it is rejected."""
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", QUERY_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(result.stdout)
    assert info["implementation"] == sys.implementation.name
    assert info["venv"] is (sys.prefix != sys.base_prefix)
    if info["venv"]:
        assert parse_query_output(result.stdout, "path") is None


def test_sort_installed_dedupes_by_prefix_with_origin_preference() -> None:
    found = [
        _python("3.11.2", "/usr", "uv"),
        _python("3.11.2", "/usr", "path"),
        _python("3.12.1", "/a", "uv"),
        _python("3.12.1", "/a", "pyenv"),
        _python("3.10.13"),
        _python("3.13.0"),
    ]
    result = sort_installed(found)
    assert [(p.version, p.origin) for p in result] == [
        ("3.13.0", "pyenv"),
        ("3.12.1", "pyenv"),
        ("3.11.2", "path"),
        ("3.10.13", "pyenv"),
    ]


def test_find_matching() -> None:
    installed = [_python(v) for v in ("3.13.0", "3.12.1", "3.11.7", "3.11.2", "3.10.13")]
    assert find_matching(RuntimeRequest("cpython", "3.11"), installed) == installed[2]
    assert find_matching(RuntimeRequest("cpython", "3.11.2"), installed) == installed[3]
    assert find_matching(RuntimeRequest("cpython", "3.11.9"), installed) is None
    assert find_matching(RuntimeRequest("cpython", "3.9"), installed) is None
    assert find_matching(RuntimeRequest("pypy", "3.11"), installed) is None


_versions = st.builds(
    lambda minor, patch: f"3.{minor}.{patch}",
    st.integers(min_value=9, max_value=14),
    st.integers(min_value=0, max_value=20),
)


@given(st.lists(_versions, max_size=12), _versions, st.booleans())
def test_find_matching_properties(versions: list[str], wanted: str, exact: bool) -> None:
    request = RuntimeRequest(
        "cpython", wanted if exact else ".".join(wanted.split(".")[:2])
    )
    installed = [_python(v, f"/p/{i}") for i, v in enumerate(versions)]
    found = find_matching(request, installed)
    matching = [v for v in versions if request.matches(v)]
    if not matching:
        assert found is None
    else:
        assert found is not None and request.matches(found.version)
        assert Version(found.version) == max(Version(v) for v in matching)


def test_parse_uv_paths() -> None:
    output = json.dumps(
        [
            {"implementation": "cpython", "path": "/usr/bin/python3.11"},
            {"implementation": "pypy", "path": "/opt/pypy/bin/pypy3"},
            {"implementation": "cpython", "path": None, "url": "https://x"},
            "junk",
        ]
    )
    assert parse_uv_paths(output) == [Path("/usr/bin/python3.11")]
    assert parse_uv_paths("not json") == []
    assert parse_uv_paths("{}") == []


def test_parse_download_list() -> None:
    def entry(version: str, **changes: object) -> dict[str, object]:
        base: dict[str, object] = {
            "key": f"cpython-{version}-linux-x86_64-gnu",
            "version": version,
            "implementation": "cpython",
            "variant": "default",
            "os": "linux",
            "arch": "x86_64",
            "url": "https://example/x.tar.gz",
            "path": None,
        }
        base.update(changes)
        return base

    output = json.dumps(
        [
            entry("3.12.7"),
            entry("3.13.1"),
            entry("3.13.1", variant="freethreaded", key="cpython-3.13.1+freethreaded"),
            entry("3.13.0", variant="debug"),
            entry("3.12.1", url=None, path="/usr/bin/python3"),
            entry("3.12.2", implementation="pypy"),
            entry("3.12.3", arch="aarch64"),
            entry("3.8.20"),
        ]
    )
    assert parse_download_list(output, "linux", "x86_64") == [
        ("3.13.1", "cpython-3.13.1-linux-x86_64-gnu"),
        ("3.12.7", "cpython-3.12.7-linux-x86_64-gnu"),
    ]
    assert parse_download_list("oops") == []


def test_install_download_reuses_an_existing_install(tmp_path: Path) -> None:
    """A version already under work_dir is returned without running uv."""
    (tmp_path / "cpython-3.12.7+freethreaded-linux-x86_64-gnu" / "bin").mkdir(parents=True)
    (tmp_path / "cpython-3.12.7+freethreaded-linux-x86_64-gnu/bin/python3.12").touch()
    assert find_installed_download("3.12.7", tmp_path) is None
    prefix = tmp_path / "cpython-3.12.7-linux-x86_64-gnu"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "python3.12").touch()
    (tmp_path / "cpython-3.12-linux-x86_64-gnu").symlink_to(prefix)
    assert find_installed_download("3.12.7", tmp_path) == prefix
    assert install_download("3.12.7", tmp_path) == prefix
    assert find_installed_download("3.12.7", tmp_path / "missing") is None


def test_describe_installed() -> None:
    assert describe_installed([]) == "no Python installation at all"
    text = describe_installed([_python("3.13.0", "/a"), _python("3.11.2", "/usr", "path")])
    assert text == "cpython@3.13.0 (pyenv, /a), cpython@3.11.2 (path, /usr)"


@pytest.mark.parametrize("source", ["auto", "local", "download"])
def test_not_found_error(source: str) -> None:
    installed = [_python("3.13.0", "/root/.pyenv/versions/3.13.0")]
    error = not_found_error(
        RuntimeRequest("cpython", "3.9.99"), source, installed, "cpython-3.9"
    )
    assert isinstance(error, RuntimeNotFoundError)
    assert error.layer == "cpython-3.9"
    text = str(error)
    assert text.startswith("runtime error (layer 'cpython-3.9'): ")
    assert "cpython@3.9.99" in text
    assert "cpython@3.13.0 (pyenv, /root/.pyenv/versions/3.13.0)" in text
    assert "--runtime-source" in text and "VENVSTACKS_RUNTIME_SOURCE" in text
    if source != "download":
        assert "no installed Python matches cpython@3.9.99 (found: cpython@3.13.0" in text


def test_builtin_provider_call_order() -> None:
    """Installed interpreters are asked before downloads; both after other plugins."""

    class Other:
        from venvstacks.plugins import hookimpl

        @hookimpl
        def venvstacks_resolve_runtime(self, source: str) -> None:
            return None

    manager = PluginManager(entry_points=False, objects=[Other()])
    names = [n for n, _ in builtin_plugins()]
    assert sorted(names) == ["download_runtime", "local_runtime"]
    for hook in ("venvstacks_resolve_runtime", "venvstacks_fetch_runtime"):
        impls = getattr(manager._pm.hook, hook).get_hookimpls()
        # pluggy calls implementations from the end of this list to the start.
        call_order = [impl.plugin_name for impl in reversed(impls)]
        builtins = [n for n in call_order if n.startswith("venvstacks.")]
        assert builtins == ["venvstacks.local_runtime", "venvstacks.download_runtime"]
        if hook == "venvstacks_resolve_runtime":
            assert not call_order[0].startswith("venvstacks.")


def test_providers_pass_on_other_sources(tmp_path: Path) -> None:
    local, download = (plugin for _, plugin in builtin_plugins())
    request = RuntimeRequest("cpython", "3.12")
    assert download.venvstacks_resolve_runtime(request=request, source="local") is None  # type: ignore[attr-defined]
    assert local.venvstacks_resolve_runtime(request=request, source="download") is None  # type: ignore[attr-defined]
    assert (
        download.venvstacks_resolve_runtime(  # type: ignore[attr-defined]
            request=RuntimeRequest("pypy", "3.10"), source="download"
        )
        is None
    )


def test_uv_install_errors_are_condensed() -> None:
    from venvstacks.runtimes.download import _short_reason

    stderr = (
        "error: Failed to install cpython-3.12.7-linux-x86_64-gnu\n"
        "  cause: Request failed after 3 retries in 6.1s\n"
        "  cause: Failed to download `https://example/cpython-3.12.7.tar.gz`\n"
        "  cause: error sending request for url (https://example/cpython-3.12.7.tar.gz)\n"
        "  cause: dns error\n"
        "  cause: failed to lookup address information: Name or service not known\n"
    )
    assert _short_reason(stderr) == (
        "Failed to install cpython-3.12.7-linux-x86_64-gnu (Failed to download "
        "`https://example/cpython-3.12.7.tar.gz`: failed to lookup address information: "
        "Name or service not known)"
    )
    assert _short_reason("warning: something\n") == ""
