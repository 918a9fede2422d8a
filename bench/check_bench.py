"""``pytest --venvstacks`` against ``venvstacks build`` + ``publish`` (acceptance stack).

The stack (2 runtimes, a framework DAG, 3 apps) is locked once; then, in each of
``--runs`` rounds and in fresh folders, the two are timed one after the other (order
alternating), with a warm uv cache and runtimes from installed CPythons:

* baseline: ``venvstacks build`` then ``venvstacks publish`` (the default format, xz);
* candidate: ``pytest --venvstacks DIR`` (every check, every layer: its own lock
  check, build and publish in a temporary copy, a second archive of every layer,
  unpacking, moving and running the layers).

Prints the medians and the candidate as a ratio of the baseline (the goal: <= 1.5x).

    VENVSTACKS_UV_CACHE_DIR=/some/cache .venv/bin/python bench/check_bench.py [--runs 3]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.stacks import LAYERED_FILES, LAYERED_SPEC

ENV = {**os.environ, "VENVSTACKS_RUNTIME_SOURCE": "local"}


def run(*args: str, cwd: Path) -> float:
    """Seconds a command takes (it must succeed)."""
    started = time.perf_counter()
    subprocess.run(list(args), cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def cli(*args: str, cwd: Path) -> float:
    return run(sys.executable, "-m", "venvstacks", "-q", *args, cwd=cwd)


def make_project(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "venvstacks.toml").write_text(LAYERED_SPEC)
    for relative, text in LAYERED_FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    cli("lock", cwd=root)


def baseline(project: Path, work: Path) -> float:
    copy = work / "baseline"
    shutil.copytree(project, copy)
    seconds = cli("build", cwd=copy) + cli("publish", cwd=copy)
    shutil.rmtree(copy)
    return seconds


def candidate(project: Path, work: Path) -> float:
    args = ["--venvstacks", str(project), "-q", "-p", "no:cacheprovider"]
    return run(sys.executable, "-m", "pytest", *args, cwd=work)


def main() -> None:
    """Run the rounds and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"build + publish": [], "pytest --venvstacks": []}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        project = work / "stack"
        make_project(project)
        baseline(project, work)  # warms the uv cache and the runtimes
        for index in range(args.runs):
            order = [baseline, candidate] if index % 2 == 0 else [candidate, baseline]
            for step in order:
                key = "build + publish" if step is baseline else "pytest --venvstacks"
                times[key].append(step(project, work))
            print(
                "  " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()), flush=True
            )
    medians = {key: statistics.median(values) for key, values in times.items()}
    base = medians["build + publish"]
    print(f"\nacceptance stack (8 layers), median of {args.runs}:")
    for key, value in medians.items():
        print(f"{key:<22}{value:>8.2f} s{value / base:>8.2f}x build + publish")


if __name__ == "__main__":
    main()
