"""Real CLI processes killed at seeded random moments, and run two at a time.

The harness is ``bench/kill_bench.py`` (which also gives the full measurements); here
it runs with small counts on its tiny stack so CI stays cheap.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.integration

BENCH = Path(__file__).parents[2] / "bench" / "kill_bench.py"


def harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kill_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["kill_bench"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, Path]:
    bench = harness()
    spec = bench.make_stack(tmp_path_factory.mktemp("kill"))
    for name in ("lock", "build", "publish", "local-export"):
        bench.timed_run(spec, name)
    return bench, spec


@pytest.mark.parametrize("name", ["lock", "build", "publish"])
def test_killed_runs_leave_no_debris_and_nothing_stale(
    tiny: tuple[ModuleType, Path], name: str
) -> None:
    bench, spec = tiny
    duration = bench.timed_run(spec, name)
    rng = random.Random(f"kill-{name}")
    for _ in range(2):
        result = bench.kill_round(spec, name, rng, duration)
        assert result["rerun_rc"] == 0, result
        assert not result["traceback"], result
        assert result["debris"] == [], result
        assert result["stale"] == [], result


def test_two_builds_and_two_publishes_at_once(tiny: tuple[ModuleType, Path]) -> None:
    bench, spec = tiny
    for name in ("build", "publish"):
        assert bench.pair(spec, name) == [(0, False), (0, False)]


def test_local_export_with_four_jobs(tiny: tuple[ModuleType, Path]) -> None:
    bench, spec = tiny
    for _ in range(2):
        result = bench.run(spec, "local-export")
        assert result.returncode == 0, result.stderr
    assert bench.debris(spec.parent) == []


def test_edited_module_is_not_published_from_the_old_build(
    tiny: tuple[ModuleType, Path],
) -> None:
    bench, spec = tiny
    main = spec.parent / "hello" / "__main__.py"
    original = main.read_text()
    main.write_text("print('edited after the build')\n")
    try:
        result = bench.run(spec, "publish")
        assert result.returncode == 7, result.stderr
        assert "app-hello is not built from its current lock and inputs" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        main.write_text(original)
    assert bench.run(spec, "publish").returncode == 0
