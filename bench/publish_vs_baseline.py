"""Whole-command ``publish --format xz`` against another venvstacks installation.

The issue's target for parallel xz is relative to publishing *before* it (one xz
stream per archive, compressed on one thread, no shipped bytecode). This runs the
same stack through both command lines, each in its own copy of the project, locked
and built once, then alternates ``--runs`` rounds of forced publishes. Stacks
(``--stack``):

* ``layered`` (default): the numpy + scipy stack of ``publish_bench.py``: runtime
  46 MB, numpy 59 MB, scipy 115 MB (the baseline already compresses two layers at
  once on two CPUs, so splitting the largest gains less);
* ``dominant``: one framework holding numpy, scipy, pandas and scikit-learn over a
  runtime without packages: one layer is most of the bytes;
* ``torch``: one framework holding PyTorch (the CPU build, 2.13.0+cpu, about 750 MB
  installed) over a runtime without packages: the case venvstacks exists for. Needs
  ``--local-wheels DIR``, a folder holding that wheel (uv takes it from there; PyPI's
  ``torch`` is the multi-GB CUDA build).

Cases:

* ``baseline``: ``BASELINE_PYTHON -m venvstacks publish --force --format xz``;
* ``now, --no-bytecode``: this checkout, same archive content as the baseline;
* ``now`` (default options: bytecode shipped, see docs/design.rst);
* ``now, -j 1``: one layer at a time (blocks of one archive still in parallel).

Prints medians and ratios against the baseline, archive bytes, and whether this
checkout's archives were byte-identical across ``-j`` values.

    .venv/bin/python bench/publish_vs_baseline.py --baseline /tmp/base/.venv/bin/python
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from publish_bench import APP, EXCLUDE_NEWER, RUNTIME, SPEC


def one_framework_spec(name: str, requirements: list[str], app: str, tail: str = "") -> str:
    """A bare runtime, one framework holding ``requirements`` and one application."""
    return f"""{RUNTIME}
[[frameworks]]
name = "{name}"
runtime = "cpython-3.11"
requirements = {requirements!r}

[[applications]]
name = "solve"
launch_module = "solve.py"
frameworks = ["{name}"]
requirements = ["{app}"]
{tail}"""


DOMINANT_SPEC = one_framework_spec(
    "ml", ["numpy", "scipy", "pandas", "scikit-learn"], "scipy", EXCLUDE_NEWER
)
# No exclude-newer: a wheel in a local folder has no upload time to compare.
TORCH_SPEC = one_framework_spec("torch", ["torch==2.13.0+cpu"], "torch")
STACKS = {"layered": SPEC, "dominant": DOMINANT_SPEC, "torch": TORCH_SPEC}


def archives(out: Path) -> tuple[int, str]:
    """Total bytes and one hash of every archive in ``out``."""
    digest = hashlib.sha256()
    total = 0
    for path in sorted(out.glob("*.tar.xz")):
        data = path.read_bytes()
        total += len(data)
        digest.update(path.name.encode() + hashlib.sha256(data).digest())
    return total, digest.hexdigest()


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="Python of the other install")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stack", choices=sorted(STACKS), default="layered")
    parser.add_argument(
        "--same-content-only",
        action="store_true",
        help="only the baseline and 'now, --no-bytecode' (the same archive content)",
    )
    parser.add_argument(
        "--local-wheels",
        type=Path,
        help="folder of wheels for lock and build (the torch stack needs one)",
    )
    args = parser.parse_args()
    if args.stack == "torch" and args.local_wheels is None:
        parser.error("--stack torch needs --local-wheels DIR holding torch 2.13.0+cpu")
    wheels = (
        []
        if args.local_wheels is None
        else ["--local-wheels", str(args.local_wheels.resolve())]
    )
    env = {**os.environ, "VENVSTACKS_RUNTIME_SOURCE": "local"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        pythons = {"baseline": args.baseline, "now": sys.executable}
        for name, python in pythons.items():
            project = work / name
            project.mkdir()
            (project / "venvstacks.toml").write_text(STACKS[args.stack])
            (project / "solve.py").write_text(APP)
            command = [python, "-m", "venvstacks", "-q"]
            for step in ("lock", "build"):
                subprocess.run(
                    [*command, step, *wheels, "."], cwd=project, env=env, check=True
                )
        publish = ["publish", "--force", "--format", "xz", "--output-dir", "out", "."]
        cases = {
            "baseline": (args.baseline, "baseline", []),
            "now, --no-bytecode": (sys.executable, "now", ["--no-bytecode"]),
            "now": (sys.executable, "now", []),
            "now, -j 1": (sys.executable, "now", ["-j", "1"]),
        }
        if args.same_content_only:
            cases = {
                k: v for k, v in cases.items() if k in ("baseline", "now, --no-bytecode")
            }
        times: dict[str, list[float]] = {name: [] for name in cases}
        outputs: dict[str, set[tuple[int, str]]] = {name: set() for name in cases}
        for _ in range(args.runs):
            for name, (python, folder, extra) in cases.items():
                project = work / folder
                shutil.rmtree(project / "out", ignore_errors=True)
                command = [python, "-m", "venvstacks", "-q", *publish[:-1], *extra, "."]
                started = time.perf_counter()
                subprocess.run(
                    command, cwd=project, env=env, check=True, stdout=subprocess.DEVNULL
                )
                times[name].append(time.perf_counter() - started)
                outputs[name].add(archives(project / "out"))
            print("  " + ", ".join(f"{t[-1]:.1f}" for t in times.values()), flush=True)
    base = statistics.median(times["baseline"])
    base_bytes = next(iter(outputs["baseline"]))[0]
    cores = os.cpu_count() or 1
    print(
        f"\npublish --format xz, {args.stack} stack, median of {args.runs}, {cores} CPUs:"
    )
    for name, values in times.items():
        median = statistics.median(values)
        size = next(iter(outputs[name]))[0]
        print(
            f"{name:<22}{median:>8.1f} s{median / base:>8.2f}x baseline"
            f"{size / 1e6:>9.1f} MB{size / base_bytes:>8.3f}x bytes"
        )
    if "now" in outputs:
        same = len(outputs["now"] | outputs["now, -j 1"]) == 1
        print(f"archives of 'now' and 'now, -j 1' identical: {same}")


if __name__ == "__main__":
    main()
