"""The runtime cache: prepared once, reused, damaged entries redone."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from venvstacks.runtimes import cache
from venvstacks.runtimes.model import AdoptedRuntime

pytestmark = pytest.mark.integration

SOURCE = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions/3.11.7"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not (SOURCE / "bin" / "python3.11").is_file():
        pytest.skip("needs pyenv's CPython 3.11.7")
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_DIR_ENV_VAR, str(folder))
    return folder


def _count_adoptions(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = cache.adopt_runtime

    def counting(prefix: Path, version: str, dest: Path) -> AdoptedRuntime:
        calls.append(dest)
        return real(prefix, version, dest)

    monkeypatch.setattr(cache, "adopt_runtime", counting)
    return calls


def _runs(root: Path, python: str) -> str:
    result = subprocess.run(
        [root / python, "-I", "-c", "import sys, ssl; print(sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_prepared_once_then_linked(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_adoptions(monkeypatch)
    first = cache.prepare_runtime(SOURCE, "3.11.7", tmp_path / "one" / "rt")
    second = cache.prepare_runtime(SOURCE, "3.11.7", tmp_path / "two" / "rt")
    assert len(calls) == 1 and first == second
    assert _runs(tmp_path / "two" / "rt", second.python) == str(tmp_path / "two" / "rt")
    entries = list((cache_dir / "runtimes").iterdir())
    assert len(entries) == 1 and not entries[0].name.startswith(".")
    # Files are shared with the cache (hard link or reflink), never written through.
    stdlib_os = tmp_path / "two" / "rt" / second.stdlib / "os.py"
    assert (
        stdlib_os.read_bytes()
        == (entries[0] / "tree" / second.stdlib / "os.py").read_bytes()
    )


def test_damaged_entry_is_redone(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_adoptions(monkeypatch)
    adopted = cache.prepare_runtime(SOURCE, "3.11.7", tmp_path / "a")
    (entry,) = (cache_dir / "runtimes").iterdir()
    victim = entry / "tree" / adopted.stdlib / "json" / "decoder.py"
    victim.unlink()
    victim.write_text("raise ImportError('half-written')\n")
    cache.prepare_runtime(SOURCE, "3.11.7", tmp_path / "b")
    assert len(calls) == 2
    assert (
        "half-written"
        not in (tmp_path / "b" / adopted.stdlib / "json" / "decoder.py").read_text()
    )
    # An entry without its completion record (an interrupted writer) is redone too.
    (entry / "entry.json").unlink()
    cache.prepare_runtime(SOURCE, "3.11.7", tmp_path / "c")
    assert len(calls) == 3
    assert json.loads((entry / "entry.json").read_text())["runtime"]["version"] == "3.11.7"


def test_key_follows_strip_setting_and_source(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = cache.runtime_key(SOURCE, "3.11.7")
    assert cache.runtime_key(SOURCE, "3.11.7") == key
    monkeypatch.setenv("VENVSTACKS_STRIP_RUNTIMES", "0")
    assert cache.runtime_key(SOURCE, "3.11.7") != key


def test_concurrent_preparations_agree(cache_dir: Path, tmp_path: Path) -> None:
    results: dict[int, AdoptedRuntime] = {}
    errors: list[BaseException] = []

    def prepare(index: int) -> None:
        try:
            results[index] = cache.prepare_runtime(SOURCE, "3.11.7", tmp_path / f"r{index}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=prepare, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and results[0] == results[1]
    assert [p.name for p in (cache_dir / "runtimes").iterdir()] == [
        cache.runtime_key(SOURCE, "3.11.7")
    ]
    for index in range(2):
        assert _runs(tmp_path / f"r{index}", results[index].python)


def test_cache_can_be_turned_off(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.RUNTIME_CACHE_ENV_VAR, "0")
    cache.prepare_runtime(SOURCE, "3.11.7", tmp_path / "rt")
    assert not cache_dir.exists()


def test_placed_stdlib_bytecode_is_used_not_rewritten(
    cache_dir: Path, tmp_path: Path
) -> None:
    adopted = cache.prepare_runtime(SOURCE, "3.11.7", tmp_path / "rt")
    (entry,) = (cache_dir / "runtimes").iterdir()
    rel = f"{adopted.stdlib}/json/__pycache__/decoder.cpython-311.pyc"
    cached, placed = entry / "tree" / rel, tmp_path / "rt" / rel
    assert placed.is_file()
    before = placed.stat()
    subprocess.run(
        [tmp_path / "rt" / adopted.python, "-I", "-c", "import json.decoder"], check=True
    )
    # A stale .pyc would have been replaced by a new file: it is the cached one still.
    after = placed.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert after.st_mtime_ns == cached.stat().st_mtime_ns
