"""The no-op build memo: its key, its watched paths, and every way it must miss."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from venvstacks.cli import main
from venvstacks.engine import EngineOptions, Stack, noop_memo, noop_watch
from venvstacks.engine.noop_memo import (
    answer,
    fingerprint,
    invocation,
    memo_document,
    memo_path,
)
from venvstacks.engine.runlock import LOCK_NAME, folder_lock
from venvstacks.plugins import PluginManager
from venvstacks.reporting import NullReporter

BASE = {
    "environ": {"HOME": "/home/u", "VENVSTACKS_JOBS": "2", "UV_INDEX_URL": "x"},
    "cwd": "/work/project",
    "executable": "/venv/bin/python",
    "search_path": ["/venv/lib/python3.11/site-packages"],
    "tool": "1.0",
}


def key_of(argv: list[str], **changes: object) -> str:
    found = invocation(argv, **{**BASE, **changes})
    assert found is not None
    return found.key


@pytest.mark.parametrize(
    "changes",
    [
        {"environ": {**BASE["environ"], "VENVSTACKS_JOBS": "1"}},
        {"environ": {**BASE["environ"], "VENVSTACKS_INCLUDE": "app-*"}},
        {"environ": {**BASE["environ"], "UV_INDEX_URL": "y"}},
        {"environ": {**BASE["environ"], "HOME": "/home/v"}},
        {"environ": {**BASE["environ"], "XDG_CACHE_HOME": "/c"}},
        {"cwd": "/work/other"},
        {"executable": "/other/bin/python"},
        {"search_path": ["/venv/lib/python3.11/site-packages", "/extra"]},
        {"tool": "1.1"},
    ],
    ids=[
        "option-env",
        "new-option-env",
        "uv-env",
        "home",
        "xdg-cache",
        "cwd",
        "python",
        "sys.path",
        "version",
    ],
)
def test_every_key_input_changes_the_key(changes: dict[str, object]) -> None:
    assert key_of(["build"], **changes) != key_of(["build"])


def test_unrelated_variables_do_not_change_the_key() -> None:
    environ = {**BASE["environ"], "TERM": "dumb", "PYTHONPROFILEIMPORTTIME": "1"}
    assert key_of(["build"], environ=environ) == key_of(["build"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=8), max_size=4), st.lists(st.text(max_size=8), max_size=4))
def test_different_arguments_have_different_keys(
    before: list[str], after: list[str]
) -> None:
    first, second = [*before, "build"], [*after, "build"]
    assert (key_of(first) == key_of(second)) == (first == second)


def test_only_build_commands_and_only_when_enabled() -> None:
    assert invocation(["lock"], **BASE) is None
    assert invocation(["-v", "build", "."], **BASE) is not None
    for off in ("0", "false", "off", "no"):
        environ = {**BASE["environ"], "VENVSTACKS_NOOP_MEMO": off}
        assert invocation(["build"], **{**BASE, "environ": environ}) is None


# -- reading a memo ---------------------------------------------------------------------

OLD = 1_600_000_000_123_456_789  # 2020: whatever a test does now changes the times


def aged(*paths: Path) -> None:
    for path in paths:
        os.utime(path, ns=(OLD, OLD), follow_symlinks=False)


@pytest.fixture
def watched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setenv("VENVSTACKS_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "project"
    (root / "pkg" / "empty").mkdir(parents=True)
    (root / "venvstacks.toml").write_text("spec\n")
    (root / "pkg" / "__main__.py").write_text("print(1)\n")
    paths = {
        "spec": root / "venvstacks.toml",
        "module": root / "pkg" / "__main__.py",
        "package": root / "pkg",
        "folder": root / "pkg" / "empty",
        "missing": root / "stamp.json",
    }
    aged(*(path for path in paths.values() if path.exists()))
    return paths


def write_memo(
    paths: dict[str, Path],
    argv: list[str],
    text: str = "Nothing\n",
    locks: tuple[str, ...] = (),
) -> str:
    found = invocation(argv)
    assert found is not None
    document = memo_document(
        found.key, [(str(p), fingerprint(str(p))) for p in paths.values()], text, locks
    )
    target = Path(memo_path(found.key))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document))
    return str(target)


def test_an_unchanged_memo_answers(watched: dict[str, Path]) -> None:
    write_memo(watched, ["build", "."])
    assert answer(["build", "."]) == "Nothing\n"
    started = noop_memo.started()
    assert started is not None and started.key == invocation(["build", "."]).key
    assert answer(["build"]) is None  # other arguments: another key


CHANGES: dict[str, Callable[[dict[str, Path]], object]] = {
    "edited-same-size": lambda p: p["module"].write_text("print(2)\n"),
    "edited-spec": lambda p: p["spec"].write_text("spec 2\n"),
    "deleted": lambda p: p["module"].unlink(),
    "replaced": lambda p: (
        p["spec"].with_name("new").write_text("spec\n"),
        os.replace(p["spec"].with_name("new"), p["spec"]),
    ),
    "file-added-to-package": lambda p: (p["package"] / "extra.py").write_text(""),
    "file-added-to-empty-folder": lambda p: (p["folder"] / "x.py").write_text(""),
    "missing-appears": lambda p: p["missing"].write_text("{}"),
    "chmod": lambda p: p["module"].chmod(0o600),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_any_change_to_a_watched_path_misses(watched: dict[str, Path], change: str) -> None:
    write_memo(watched, ["build"])
    assert answer(["build"]) == "Nothing\n"
    CHANGES[change](watched)
    assert answer(["build"]) is None


def test_memo_off_misses(watched: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    write_memo(watched, ["build"])
    monkeypatch.setenv("VENVSTACKS_NOOP_MEMO", "0")
    assert answer(["build"]) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: "{not json",
        lambda d: json.dumps([d]),
        lambda d: json.dumps({**d, "format": 0}),
        lambda d: json.dumps({**d, "key": "0" * 64}),
        lambda d: json.dumps({**d, "text": 3}),
        lambda d: json.dumps({**d, "watched": []}),
        lambda d: json.dumps({**d, "watched": [[1, None]]}),
        lambda d: json.dumps({**d, "watched": [["a", None, 3]]}),
        lambda d: json.dumps({**d, "watched": "abc"}),
        lambda d: json.dumps({k: v for k, v in d.items() if k != "locks"}),
        lambda d: json.dumps({**d, "locks": [3]}),
        lambda d: "\udcff",
    ],
)
def test_a_damaged_memo_is_ignored(
    watched: dict[str, Path], damage: Callable[[dict[str, object]], str]
) -> None:
    target = Path(write_memo(watched, ["build"]))
    document = json.loads(target.read_text())
    target.write_text(damage(document), errors="surrogateescape")
    assert answer(["build"]) is None


def test_a_memo_is_not_used_while_another_command_holds_the_folder(
    watched: dict[str, Path], tmp_path: Path
) -> None:
    build_dir = tmp_path / "build"
    lock_file = str(build_dir / LOCK_NAME)
    write_memo(watched, ["build"], locks=(lock_file,))
    assert answer(["build"]) == "Nothing\n"  # no lock file yet: nobody holds it
    with folder_lock(build_dir, "build folder", wait=False, reporter=NullReporter()):
        assert answer(["build"]) is None
    assert answer(["build"]) == "Nothing\n"


def test_main_prints_the_memo_and_exits_without_click(
    watched: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "argv", ["venvstacks", "build"])
    write_memo(watched, ["build"], "Nothing to do: all 3 layer(s) are up to date.\n")
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 0
    assert capsys.readouterr().out == "Nothing to do: all 3 layer(s) are up to date.\n"


# -- what the engine watches ------------------------------------------------------------

SPEC = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.11"
requirements = []

[[applications]]
name = "app"
runtime = "rt"
launch_module = "app"
support_modules = ["../shared/helper.py"]
requirements = []
"""


def make_stack(tmp_path: Path) -> Stack:
    root = tmp_path / "project"
    (root / "app" / "sub" / "empty").mkdir(parents=True)
    (root / "app" / "__main__.py").write_text("")
    (root / "app" / "__pycache__").mkdir()
    (root / "app" / "__pycache__" / "x.pyc").write_text("")
    (root / "requirements" / "rt").mkdir(parents=True)
    (root / "requirements" / "rt" / "pylock.rt.toml").write_text("")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "helper.py").write_text("")
    (root / "venvstacks.toml").write_text(SPEC)
    plugins = PluginManager(entry_points=False)
    return Stack.load(root / "venvstacks.toml", EngineOptions(), plugins=plugins)


def test_watched_paths_cover_what_the_decision_reads(tmp_path: Path) -> None:
    stack = make_stack(tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    paths = noop_watch.watched_paths(stack, [str(site), str(tmp_path / "gone"), ""])
    assert paths is not None
    root, build = tmp_path / "project", tmp_path / "project" / "_build"
    expected = [
        root / "venvstacks.toml",
        root,
        root / "venvstacks.uv.toml",
        root / "requirements",
        root / "requirements" / "rt",
        root / "requirements" / "rt" / "pylock.rt.toml",
        root / "app",
        root / "app" / "__main__.py",
        root / "app" / "sub" / "empty",
        tmp_path / "shared" / "helper.py",
        build,
        build / "_state",
        build / "_state" / "rt.json",
        build / "app-app",
        build / "rt" / "share/venv/metadata/venvstacks_layer.json",
        site,
        Path(noop_memo.__file__).parent,
        Path(noop_memo.__file__),
    ]
    assert [str(path) for path in expected if str(path) not in paths] == []
    assert str(root / "app" / "__pycache__") not in paths
    assert str(tmp_path / "gone") not in paths
    assert len(paths) == len(set(paths))


def test_too_many_paths_means_no_memo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = make_stack(tmp_path)
    monkeypatch.setattr(noop_watch, "MAX_WATCHED", 10)
    assert noop_watch.watched_paths(stack, []) is None


def test_plugins_mean_no_memo(tmp_path: Path) -> None:
    stack = make_stack(tmp_path)

    class Plugin:
        pass

    stack.plugins.register(Plugin(), "third-party")
    start = invocation(["build"])
    assert start is not None
    assert not noop_watch.record(stack, None, start, "text")


def test_recent_changes_are_racy() -> None:
    now = time.time_ns()
    fine = (1, 1, now - 10_000_000, now - 10_000_000)
    assert noop_watch._racy([("a", fine)], now) > 0
    assert noop_watch._racy([("a", (1, 1, OLD, OLD)), ("b", None)], now) <= 0
    whole_second = now - now % 1_000_000_000 - 1_000_000_000
    coarse = (1, 1, whole_second, whole_second)
    assert noop_watch._racy([("a", coarse)], now) > 0
