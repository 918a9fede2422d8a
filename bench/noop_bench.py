"""No-op build benchmark: whole-process time of ``venvstacks build`` with nothing to do.

Builds the sample project once (into a temporary copy), then alternates, ``--runs``
times: ``python -c "import rich_click"`` (the floor of any rich-click command line),
``python -c "import venvstacks"`` and a no-op ``venvstacks build``. Prints medians and
the difference from the floor (the target: at most 50 ms above it).

    .venv/bin/python bench/noop_bench.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall-clock seconds of one successful command."""
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = {**os.environ, "VENVSTACKS_RUNTIME_SOURCE": "local"}
    # Measure what users get: bytecode written once and reused (an editable install
    # has no .pyc until something writes them).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    python = sys.executable
    with tempfile.TemporaryDirectory() as work:
        project = Path(work) / "sample_project"
        shutil.copytree(ROOT / "sample_project", project)
        build = [python, "-m", "venvstacks", "-q", "build", "--lock-if-needed", "."]
        subprocess.run(build, cwd=project, env=env, check=True, stdout=subprocess.DEVNULL)
        cases = {
            "import rich_click": [python, "-c", "import rich_click"],
            "import venvstacks": [python, "-c", "import venvstacks"],
            "no-op build": build,
        }
        for command in cases.values():  # warm-up: bytecode, disk caches
            timed(command, project, env)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, command in cases.items():
                times[name].append(timed(command, project, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    floor = medians["import rich_click"]
    print(f"\nwhole-process times, median of {args.runs} alternating runs:")
    for name, value in medians.items():
        print(
            f"{name:<20}{value * 1000:>8.0f} ms{(value - floor) * 1000:>+8.0f} ms"
            f"{value / floor:>8.2f}x floor"
        )


if __name__ == "__main__":
    main()
