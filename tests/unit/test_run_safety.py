"""One run per folder, temporary files in one place, interrupts honoured."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from venvstacks import cancel
from venvstacks.engine.runlock import LOCK_NAME, folder_lock
from venvstacks.errors import BusyError, FileSystemError
from venvstacks.export.stage import is_shipped
from venvstacks.fsutil import (
    TEMP_DIR_NAME,
    is_temp_name,
    make_folder,
    scratch_root,
    temp_path,
    write_text_if_changed,
)
from venvstacks.reporting import RecordingReporter
from venvstacks.uvtool import UvSettings, run_uv

HOLD = """
import sys, time
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_lock(folder: Path, seconds: float) -> subprocess.Popen[str]:
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder / LOCK_NAME), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def test_no_wait_fails_fast_when_another_run_holds_the_folder(tmp_path: Path) -> None:
    holder = hold_lock(tmp_path / "build", 30)
    try:
        with (
            pytest.raises(BusyError, match="another venvstacks command"),
            folder_lock(
                tmp_path / "build", "build folder", wait=False, reporter=RecordingReporter()
            ),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()


def test_waiting_says_so_and_goes_on_when_the_other_run_ends(tmp_path: Path) -> None:
    holder = hold_lock(tmp_path / "out", 1.0)
    reporter = RecordingReporter()
    with folder_lock(tmp_path / "out", "output folder", wait=True, reporter=reporter):
        assert holder.wait(timeout=30) == 0  # only got in once the holder let go
    assert holder.stdout is not None
    holder.stdout.close()
    assert any("waiting for another venvstacks command" in n for n in reporter.notes())


def test_nested_locks_of_one_process_do_not_wait(tmp_path: Path) -> None:
    reporter = RecordingReporter()
    with (
        folder_lock(tmp_path, "build folder", wait=False, reporter=reporter),
        folder_lock(tmp_path, "build folder", wait=False, reporter=reporter),
    ):
        pass


def test_a_released_lock_can_be_taken_by_another_process(tmp_path: Path) -> None:
    reporter = RecordingReporter()
    with folder_lock(tmp_path, "build folder", wait=False, reporter=reporter):
        pass
    holder = hold_lock(tmp_path, 0.1)  # would block (and time out) if still held
    assert holder.wait(timeout=30) == 0
    assert holder.stdout is not None
    holder.stdout.close()


def test_without_flock_the_filelock_package_takes_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import filelock  # noqa: F401  (imported with fcntl, before fcntl is hidden)

    monkeypatch.setitem(sys.modules, "fcntl", None)  # as on Windows
    reporter = RecordingReporter()
    folder = tmp_path / "nfs"
    with (
        folder_lock(folder, "build folder", wait=False, reporter=reporter),
        folder_lock(folder, "build folder", wait=False, reporter=reporter),
    ):
        assert (folder / LOCK_NAME).exists()


def test_temporary_files_live_in_one_folder_and_are_swept(tmp_path: Path) -> None:
    root = tmp_path / "build"
    (root / TEMP_DIR_NAME).mkdir(parents=True)
    (root / TEMP_DIR_NAME / ".pyvenv.cfg.venvstacks-1-abcdef.tmp").write_text("debris")
    with scratch_root(root):
        assert not (root / TEMP_DIR_NAME).exists()  # an earlier run's debris is gone
        temp = temp_path(root / "env" / "pyvenv.cfg")
        assert temp.parent == root / TEMP_DIR_NAME
        assert is_temp_name(temp.name)
        write_text_if_changed(root / "env" / "pyvenv.cfg", "home = x\n")
        assert sorted(p.name for p in (root / "env").iterdir()) == ["pyvenv.cfg"]
    assert not (root / TEMP_DIR_NAME).exists()
    outside = temp_path(tmp_path / "elsewhere" / "file.txt")
    assert outside.parent == tmp_path / "elsewhere"
    assert is_temp_name(outside.name)


def test_temporary_files_are_never_shipped() -> None:
    assert not is_shipped("lib/.RECORD.venvstacks-123-0a1b2c.tmp")
    assert not is_shipped(".pyvenv.cfg.venvstacks-99-ffff.tmp")
    assert not is_shipped(TEMP_DIR_NAME)
    assert is_shipped("lib/python3.11/site-packages/x.py")


def test_folder_that_cannot_be_made_is_one_named_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(FileSystemError) as info:
        make_folder(tmp_path / "file" / "sub", "create the output folder")
    assert "cannot create the output folder" in info.value.paragraph()
    assert str(tmp_path / "file" / "sub") in info.value.paragraph()


def test_interrupt_kills_running_subprocesses() -> None:
    cancel.reset()
    timer = threading.Timer(0.5, cancel.request)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            # uv waits on stdin for a script: it never ends unless killed.
            run_uv(
                ["run", "--no-project", "python", "-c", "import time; time.sleep(60)"],
                UvSettings(),
            )
    finally:
        timer.cancel()
        cancel.reset()
    assert time.monotonic() - started < 30
