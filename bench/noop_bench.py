"""No-op build benchmark: whole-process time of ``venvstacks build`` with nothing to do.

Builds the sample project once (into a temporary copy), then alternates, ``--runs``
times: ``python -c "import rich_click"`` (the floor of any rich-click command line),
``python -c "import venvstacks"``, a no-op ``venvstacks build`` answered from its
no-op memo (the normal case after one no-op run) and the same build with the memo
turned off (``VENVSTACKS_NOOP_MEMO=0``: the engine decides). Prints medians of
wall-clock and CPU time (user + system; steadier on a busy machine) and the difference
from the floor (the target: at most 50 ms above it). The venvstacks cache folder
(prepared runtimes, memos) is a temporary one.

    .venv/bin/python bench/noop_bench.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


Case = tuple[list[str], dict[str, str]]


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one successful command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = {**os.environ, "VENVSTACKS_RUNTIME_SOURCE": "local"}
    # Measure what users get: bytecode written once and reused (an editable install
    # has no .pyc until something writes them).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("VENVSTACKS_NOOP_MEMO", None)
    python = sys.executable
    with tempfile.TemporaryDirectory() as work:
        env.setdefault("VENVSTACKS_CACHE_DIR", str(Path(work) / "cache"))
        no_memo = {**env, "VENVSTACKS_NOOP_MEMO": "0"}
        project = Path(work) / "sample_project"
        shutil.copytree(ROOT / "sample_project", project)
        build = [python, "-m", "venvstacks", "-q", "build", "."]
        first = [*build[:-1], "--lock-if-needed", "."]
        subprocess.run(first, cwd=project, env=env, check=True, stdout=subprocess.DEVNULL)
        cases: dict[str, Case] = {
            "import rich_click": ([python, "-c", "import rich_click"], env),
            "import venvstacks": ([python, "-c", "import venvstacks"], env),
            "no-op build (memo)": (build, env),
            "no-op build (no memo)": (build, no_memo),
        }
        for command, case_env in cases.values():  # warm-up: bytecode, caches, memo
            timed(command, project, case_env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (command, case_env) in cases.items():
                times[name].append(timed(command, project, case_env))
    print(f"\nwhole-process times, median of {args.runs} alternating runs:")
    print(f"{'':<24}{'wall':>9}{'vs floor':>10}{'CPU':>9}{'vs floor':>10}")
    floor_wall = statistics.median(w for w, _ in times["import rich_click"])
    floor_cpu = statistics.median(c for _, c in times["import rich_click"])
    for name, values in times.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(
            f"{name:<24}{wall * 1000:>7.0f}ms{(wall - floor_wall) * 1000:>+8.0f}ms"
            f"{cpu * 1000:>7.0f}ms{(cpu - floor_cpu) * 1000:>+8.0f}ms"
        )


if __name__ == "__main__":
    main()
