"""Publish benchmark: archive time and size of a numpy + scipy stack.

Runs ``publish --force`` for each combination of format (xz, zst) and jobs (1 and
the number of CPUs), three times each, in this one process, and prints the medians
with ratios against the baseline (xz with one job: what the reference venvstacks
does). The stack is locked and built once first (in ``--work DIR``, kept between
runs so the build is reused).

    .venv/bin/python bench/publish_bench.py [--work DIR] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from pytest_venvstacks import StackProject

SPEC = """
[[runtimes]]
name = "cpython-3.11"
python_implementation = "cpython@3.11"
platforms = ["linux_x86_64"]
requirements = []

[[frameworks]]
name = "numpy"
runtime = "cpython-3.11"
requirements = ["numpy"]

[[frameworks]]
name = "scipy"
frameworks = ["numpy"]
requirements = ["scipy"]

[[applications]]
name = "solve"
launch_module = "solve.py"
frameworks = ["scipy"]
requirements = ["scipy"]

[tool.uv]
exclude-newer = "2025-09-01T00:00:00Z"
"""

APP = "import numpy, scipy.linalg\nprint(scipy.linalg.solve(numpy.eye(3), numpy.ones(3)))\n"


def prepare(work: Path) -> StackProject:
    """Write, lock and build the benchmark stack (reusing an earlier build)."""
    project = StackProject(work / "stack", runtime_source="local")
    project.root.mkdir(parents=True, exist_ok=True)
    project.write("venvstacks.toml", SPEC)
    project.write("solve.py", APP)
    project.build(lock_if_needed=True)
    return project


def run_once(project: StackProject, fmt: str, jobs: int, out: Path) -> tuple[float, int]:
    """Seconds and total archive bytes of one forced publish."""
    shutil.rmtree(out, ignore_errors=True)
    stack = project.stack(jobs=jobs)
    started = time.perf_counter()
    report = stack.publish(out, fmt=fmt, force=True)
    seconds = time.perf_counter() - started
    size = sum(int(str(r.metadata["archive_size"])) for r in report.layers)
    return seconds, size


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "vs-bench"
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    project = prepare(args.work)
    cores = os.cpu_count() or 1
    cases = [("xz", 1), ("xz", cores), ("zst", 1), ("zst", cores)]
    results: dict[tuple[str, int], tuple[float, int]] = {}
    for fmt, jobs in cases:
        times, sizes = [], []
        for _ in range(args.runs):
            seconds, size = run_once(project, fmt, jobs, args.work / "out")
            times.append(seconds)
            sizes.append(size)
        results[(fmt, jobs)] = (statistics.median(times), sizes[0])
        print(f"  {fmt} jobs={jobs}: {', '.join(f'{t:.2f}' for t in times)} s", flush=True)
    base_time, base_size = results[("xz", 1)]
    print(f"\npublish of numpy+scipy stack (4 layers), median of {args.runs}:")
    header = ("format", "jobs", "seconds", "MB", "time ratio", "size ratio")
    print("{:<8}{:>5}{:>10}{:>10}{:>12}{:>12}".format(*header))
    for (fmt, jobs), (seconds, size) in results.items():
        print(
            f"{fmt:<8}{jobs:>5}{seconds:>10.2f}{size / 1e6:>10.1f}"
            f"{seconds / base_time:>12.2f}{size / base_size:>12.2f}"
        )


if __name__ == "__main__":
    main()
