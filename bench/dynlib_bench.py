"""Start-up cost of cross-layer native libraries, and archive reproducibility.

Builds a stack from the gcc-built test wheels (tests/integration/dynlib_stack.py)
where an extension module and the shared library it needs sit in different layers,
next to apps of the same depth where both wheels share one layer, and times
``python -I -m bench_app`` (import the extension, call it) for each, interleaved.
Prints the medians (wall clock, and CPU time which a busy machine disturbs less)
and the ratio split / same (the goal: at most 1.05).

Then builds and publishes the same stack again in another folder (another umask) and
compares every archive byte for byte with the first.

    VENVSTACKS_RUNTIME_SOURCE=local .venv/bin/python bench/dynlib_bench.py [--runs 40]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pytest_venvstacks.project import StackProject
from tests.integration.dynlib_stack import can_compile, make_wheels

SPEC = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.11"
platforms = ["linux_x86_64"]
requirements = []

[[frameworks]]
name = "base"
runtime = "rt"
versioned = true
requirements = ["accdyn-provider"]

[[frameworks]]
name = "mid"
frameworks = ["base"]
requirements = ["accdyn-consumer"]

[[frameworks]]
name = "pair"
runtime = "rt"
requirements = ["accdyn-provider", "accdyn-consumer"]

[[frameworks]]
name = "top"
frameworks = ["pair"]
requirements = ["accso-provider"]

[[applications]]
name = "split1"
launch_module = "bench_app.py"
frameworks = ["base"]
requirements = ["accdyn-consumer"]

[[applications]]
name = "same1"
launch_module = "bench_app.py"
frameworks = ["pair"]
requirements = ["accso-provider"]

[[applications]]
name = "split2"
launch_module = "bench_app.py"
frameworks = ["mid"]
requirements = ["accso-provider"]

[[applications]]
name = "same2"
launch_module = "bench_app.py"
frameworks = ["top"]
requirements = ["accrt-provider"]

[tool.uv]
exclude-newer = "2025-06-01T00:00:00Z"
"""

APP = "import accdyn_consumer\nassert accdyn_consumer.value() == 42\n"
PAIRS = (("app-split1", "app-same1"), ("app-split2", "app-same2"))


def build(root: Path, wheels: Path) -> StackProject:
    """Lock and build the bench stack in ``root``."""
    project = StackProject(root, runtime_source="local")
    project.write("venvstacks.toml", SPEC)
    project.write("bench_app.py", APP)
    options = {"local_wheels": (wheels,), "index": False}
    project.lock(**options)
    project.build(**options)
    return project


def run_once(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run of ``command``."""
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command} failed with status {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def time_apps(project: StackProject, runs: int) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of each app's start, runs interleaved."""
    apps = [app for pair in PAIRS for app in pair]
    commands = {app: [str(project.python(app)), "-I", "-m", "bench_app"] for app in apps}
    times: dict[str, list[tuple[float, float]]] = {app: [] for app in apps}
    for command in commands.values():  # warm the page cache
        run_once(command)
    for _ in range(runs):
        for app, command in commands.items():
            times[app].append(run_once(command))
    return times


def import_times(project: StackProject, runs: int) -> dict[str, list[int]]:
    """Microseconds ``-X importtime`` gives the extension module (``dlopen`` included)."""
    apps = [app for pair in PAIRS for app in pair]
    times: dict[str, list[int]] = {app: [] for app in apps}
    for _ in range(runs):
        for app in apps:
            command = [
                str(project.python(app)),
                "-I",
                "-X",
                "importtime",
                "-m",
                "bench_app",
            ]
            result = subprocess.run(command, capture_output=True, text=True, check=True)
            for line in result.stderr.splitlines():
                if line.rstrip().endswith("accdyn_consumer._ext"):
                    times[app].append(int(line.split("|")[1]))
    return times


def archive_digests(project: StackProject, out: Path) -> dict[str, str]:
    """Publish every layer; sha256 of each archive by file name."""
    report = project.stack().publish(out)
    return {
        r.path.name: hashlib.sha256(r.path.read_bytes()).hexdigest() for r in report.layers
    }


def main() -> None:
    """Run the start-up comparison and the reproducibility check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    reason = can_compile()
    if reason:
        sys.exit(f"cannot build the wheels: {reason}")
    with tempfile.TemporaryDirectory() as work:
        wheels = make_wheels(Path(work, "wheels"))
        first = build(Path(work, "first"), wheels)
        times = time_apps(first, args.runs)
        print(f"start-up medians, {args.runs} interleaved runs of python -I -m bench_app")
        for split, same in PAIRS:
            for index, what in ((0, "wall"), (1, "CPU")):
                a = statistics.median(t[index] for t in times[split])
                b = statistics.median(t[index] for t in times[same])
                print(
                    f"  {what:4} {split}: {a * 1000:.1f} ms   {same}: {b * 1000:.1f} ms"
                    f"   ratio {a / b:.3f}"
                )
        loads = import_times(first, args.runs)
        print("extension import (dlopen + library search), -X importtime medians")
        for split, same in PAIRS:
            a, b = statistics.median(loads[split]), statistics.median(loads[same])
            print(f"  {split}: {a:.0f} us   {same}: {b:.0f} us   ratio {a / b:.3f}")
        digests = archive_digests(first, Path(work, "first-out"))
        old_umask = os.umask(0o077)
        try:
            second = build(Path(work, "second", "elsewhere"), wheels)
            again = archive_digests(second, Path(work, "second-out"))
        finally:
            os.umask(old_umask)
        same = sorted(name for name in digests if again.get(name) == digests[name])
        differ = sorted(set(digests) ^ set(again) | (set(digests) - set(same)))
        total = len(digests)
        print(f"archives byte-identical across two build folders: {len(same)}/{total}")
        for name in differ:
            print(f"  DIFFERS: {name}")


if __name__ == "__main__":
    main()
