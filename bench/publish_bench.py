"""Publish benchmark: archive time and size of a numpy + scipy stack.

Runs ``publish --force`` for each format (xz, gz, zst) with jobs 1 and the number of
CPUs, and for xz and gz also the baseline "one block per archive" (what publishing did
before block-parallel compression), alternating the cases round after round, in this
one process. For comparison without venvstacks, a plain uv venv holding the same
packages is archived with ``tar -c | xz -6 -T N`` (one thread, and one per CPU) in the
same rounds. Prints medians, ratios against the baseline, and whether the archive
bytes were identical for every jobs/threads setting. The stack is locked and built
once first (in ``--work DIR``, kept between runs so the build is reused).

    .venv/bin/python bench/publish_bench.py [--work DIR] [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from pytest_venvstacks import StackProject
from venvstacks.archive import _blocks as blocks

#: A runtime layer without packages, the first table of every bench stack here.
RUNTIME = """
[[runtimes]]
name = "cpython-3.11"
python_implementation = "cpython@3.11"
platforms = ["linux_x86_64"]
requirements = []
"""
#: Pins the packages of stacks resolved from PyPI, so rounds and runs compare alike.
EXCLUDE_NEWER = """
[tool.uv]
exclude-newer = "2025-09-01T00:00:00Z"
"""
SPEC = (
    RUNTIME
    + """
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
"""
    + EXCLUDE_NEWER
)

APP = "import numpy, scipy.linalg\nprint(scipy.linalg.solve(numpy.eye(3), numpy.ones(3)))\n"


def prepare(work: Path) -> StackProject:
    """Write, lock and build the benchmark stack (reusing an earlier build)."""
    project = StackProject(work / "stack", runtime_source="local")
    project.root.mkdir(parents=True, exist_ok=True)
    project.write("venvstacks.toml", SPEC)
    project.write("solve.py", APP)
    project.build(lock_if_needed=True)
    return project


@contextlib.contextmanager
def one_block_per_archive() -> Iterator[None]:
    """The baseline: each archive one xz/gz stream, compressed on one thread.

    (What publishing did before block-parallel compression: one huge block.)
    """
    saved = blocks.XZ_BLOCK_SIZE, blocks.GZ_BLOCK_SIZE
    blocks.XZ_BLOCK_SIZE = blocks.GZ_BLOCK_SIZE = 1 << 62
    try:
        yield
    finally:
        blocks.XZ_BLOCK_SIZE, blocks.GZ_BLOCK_SIZE = saved


def run_once(
    project: StackProject, fmt: str, jobs: int, out: Path, baseline: bool
) -> tuple[float, int, list[str]]:
    """Seconds, total archive bytes and archive hashes of one forced publish."""
    shutil.rmtree(out, ignore_errors=True)
    stack = project.stack(jobs=jobs)
    context = one_block_per_archive() if baseline else contextlib.nullcontext()
    with context:
        started = time.perf_counter()
        report = stack.publish(out, fmt=fmt, force=True)
        seconds = time.perf_counter() - started
    size = sum(int(str(r.metadata["archive_size"])) for r in report.layers)
    hashes = sorted(str(r.metadata["archive_hashes"]) for r in report.layers)
    return seconds, size, hashes


def plain_venv(project: StackProject, work: Path) -> Path:
    """A plain uv venv on the same interpreter with the app layer's packages."""
    venv = work / "plain-venv"
    if (venv / "bin" / "python").exists():
        return venv
    app_python = project.env_path("app-solve") / "bin" / "python"
    listing = subprocess.run(
        [
            str(app_python),
            "-c",
            "import importlib.metadata as m, sys\n"
            "print(sys._base_executable)\n"
            "for d in m.distributions(): print(d.metadata['Name'] + '==' + d.version)",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    base_python = os.path.realpath(project.env_path("cpython-3.11") / "bin" / "python3.11")
    uv = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "-q", "--python", base_python, str(venv)], check=True)
    subprocess.run(
        [
            *uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            *listing[1:],
        ],
        check=True,
    )
    return venv


def tar_xz(venv: Path, threads: int, out: Path) -> tuple[float, int]:
    """Seconds and bytes of ``tar -c VENV | xz -6 -T THREADS``."""
    started = time.perf_counter()
    with out.open("wb") as sink:
        tar = subprocess.Popen(
            ["tar", "-C", str(venv.parent), "-cf", "-", venv.name], stdout=subprocess.PIPE
        )
        subprocess.run(
            ["xz", "-6", f"-T{threads}"], stdin=tar.stdout, stdout=sink, check=True
        )
        assert tar.stdout is not None
        tar.stdout.close()
        tar.wait()
    return time.perf_counter() - started, out.stat().st_size


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "vs-bench"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="xz,gz,zst")
    args = parser.parse_args()
    project = prepare(args.work)
    cores = os.cpu_count() or 1
    cases: list[tuple[str, int, bool]] = []
    for fmt in args.formats.split(","):
        if fmt != "zst":
            cases.append((fmt, cores, True))
        cases += [(fmt, cores, False), (fmt, 1, False)]
    times: dict[tuple[str, int, bool], list[float]] = {case: [] for case in cases}
    sizes: dict[tuple[str, int, bool], int] = {}
    hashes: dict[tuple[str, bool], set[str]] = {}
    venv = plain_venv(project, args.work)
    plain_threads = sorted({1, cores})
    plain_times: dict[int, list[float]] = {n: [] for n in plain_threads}
    plain_sizes: dict[int, int] = {}
    for _ in range(args.runs):  # alternate the cases, round after round
        for case in cases:
            fmt, jobs, baseline = case
            seconds, size, found = run_once(project, fmt, jobs, args.work / "out", baseline)
            times[case].append(seconds)
            sizes[case] = size
            hashes.setdefault((fmt, baseline), set()).add(" ".join(found))
        for threads in plain_threads:
            seconds, size = tar_xz(venv, threads, args.work / "plain.tar.xz")
            plain_times[threads].append(seconds)
            plain_sizes[threads] = size
        print("  " + ", ".join(f"{t[-1]:.1f}" for t in times.values()), flush=True)
    print(
        f"\npublish of numpy+scipy stack (4 layers), median of {args.runs}, {cores} CPUs:"
    )
    header = ("format", "compression", "jobs", "seconds", "MB", "time ratio", "size ratio")
    print("{:<8}{:>20}{:>6}{:>10}{:>8}{:>12}{:>12}".format(*header))
    for case in cases:
        fmt, jobs, baseline = case
        base = (fmt, cores, True) if fmt != "zst" else (fmt, cores, False)
        median = statistics.median(times[case])
        ratio = median / statistics.median(times[base])
        kind = "one block (before)" if baseline else "blocks, parallel"
        print(
            f"{fmt:<8}{kind:>20}{jobs:>6}{median:>10.2f}{sizes[case] / 1e6:>8.1f}"
            f"{ratio:>12.2f}{sizes[case] / sizes[base]:>12.3f}"
        )
    if ("xz", cores, True) in times:
        base_median = statistics.median(times[("xz", cores, True)])
        base_size = sizes[("xz", cores, True)]
        for threads in plain_threads:
            median = statistics.median(plain_times[threads])
            kind = f"plain venv, xz -T{threads}"
            print(
                f"{'tar.xz':<8}{kind:>20}{'':>6}{median:>10.2f}"
                f"{plain_sizes[threads] / 1e6:>8.1f}{median / base_median:>12.2f}"
                f"{plain_sizes[threads] / base_size:>12.3f}"
            )
    for (fmt, baseline), variants in sorted(hashes.items()):
        if not baseline:
            verdict = "identical" if len(variants) == 1 else "DIFFERENT"
            print(f"{fmt}: archive bytes for every -j and thread count: {verdict}")


if __name__ == "__main__":
    main()
