from __future__ import annotations

import threading
import time

import pytest

from venvstacks.engine.scheduler import run_in_order


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_dependencies_finish_before_dependents(jobs: int) -> None:
    finished: list[str] = []
    lock = threading.Lock()
    deps = {"app": ["fw", "rt"], "fw": ["rt"], "rt": [], "other": ["rt"]}

    def work(name: str) -> str:
        time.sleep(0.01 if name != "rt" else 0.03)
        with lock:
            for dep in deps[name]:
                assert dep in finished, f"{name} started before {dep} finished"
            finished.append(name)
        return name.upper()

    results = run_in_order(["rt", "fw", "other", "app"], deps, work, jobs)
    assert results == {"rt": "RT", "fw": "FW", "other": "OTHER", "app": "APP"}
    assert list(results) == ["rt", "fw", "other", "app"]


def test_independent_work_overlaps_with_two_jobs() -> None:
    active = 0
    peak = 0
    lock = threading.Lock()

    def work(name: str) -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1

    run_in_order(["a", "b", "c", "d"], {}, work, jobs=2)
    assert peak == 2


@pytest.mark.parametrize("jobs", [1, 3])
def test_first_failure_in_order_is_raised_and_dependents_never_start(jobs: int) -> None:
    started: list[str] = []

    def work(name: str) -> None:
        started.append(name)
        if name in ("b", "c"):
            raise ValueError(name)

    with pytest.raises(ValueError, match="b"):
        run_in_order(["a", "b", "c", "d"], {"d": ["b"]}, work, jobs)
    assert "d" not in started


def test_dependencies_outside_the_selection_are_ignored() -> None:
    assert run_in_order(["x"], {"x": ["not-selected"]}, str.upper, jobs=2) == {"x": "X"}
