"""First-build benchmark: numpy runtime, scikit-learn framework, two apps (issue #11).

Locks the stack once (runtimes from installed CPythons), then alternates, ``--runs``
times, in fresh build folders (uv cache warm):

* ``cache off``: ``VENVSTACKS_RUNTIME_CACHE=0``, the runtime is adopted (copied,
  relocated, stripped) by every build, as before the runtime cache;
* ``cache warm``: the runtime was prepared once already (the cache is filled before
  the first round);
* ``plain uv venv``: ``uv venv`` on the same interpreter plus ``uv pip install`` of
  the same pinned packages (what a stack of one plain environment would cost).

* ``baseline`` (with ``--baseline PYTHON``): the same stack locked and built by
  another venvstacks installation, for example a checkout of the commit before
  issue #11 (``git worktree add /tmp/base 0c8ef2b`` and an editable install in
  ``/tmp/base/.venv``): "today" in the issue's target (at most 0.3x).

Prints medians and ratios against the baseline (``cache off`` without one).

    .venv/bin/python bench/first_build_bench.py [--runs 5] \
        [--baseline /tmp/base/.venv/bin/python]
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

SPEC = """
[[runtimes]]
name = "cpython-3.11"
python_implementation = "cpython@3.11.7"
platforms = ["linux_x86_64"]
requirements = ["numpy"]

[[frameworks]]
name = "sklearn"
runtime = "cpython-3.11"
requirements = ["scikit-learn"]

[[applications]]
name = "fit"
launch_module = "fit.py"
frameworks = ["sklearn"]
requirements = ["scikit-learn"]

[[applications]]
name = "mean"
launch_module = "mean.py"
runtime = "cpython-3.11"
requirements = ["numpy"]

[tool.uv]
exclude-newer = "2025-09-01T00:00:00Z"
"""

FILES = {
    "fit.py": "import sklearn.linear_model as lm\nprint(lm.LinearRegression())\n",
    "mean.py": "import numpy\nprint(numpy.mean([1, 2, 3]))\n",
}


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds one successful command takes."""
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--baseline", help="a Python with another venvstacks installed, to compare with"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        env = {
            **os.environ,
            "VENVSTACKS_RUNTIME_SOURCE": "local",
            "VENVSTACKS_CACHE_DIR": str(work / "cache"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        project = work / "stack"
        project.mkdir()
        (project / "venvstacks.toml").write_text(SPEC)
        for name, text in FILES.items():
            (project / name).write_text(text)
        vs = [sys.executable, "-m", "venvstacks", "-q"]
        subprocess.run([*vs, "lock", "."], cwd=project, env=env, check=True)
        subprocess.run([*vs, "build", "."], cwd=project, env=env, check=True)  # fills cache
        packages = subprocess.run(
            [
                str(project / "_build" / "app-fit" / "bin" / "python"),
                "-c",
                "import importlib.metadata as m\n"
                "for d in m.distributions(): print(d.metadata['Name'] + '==' + d.version)",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        base_python = os.path.realpath(
            subprocess.run(
                ["pyenv", "prefix", "3.11.7"], check=True, capture_output=True, text=True
            ).stdout.strip()
            + "/bin/python3.11"
        )
        uv = [sys.executable, "-m", "uv"]
        build = [*vs, "build", "--build-dir", "_round", "."]

        def cache_off() -> float:
            shutil.rmtree(project / "_round", ignore_errors=True)
            return timed(build, project, {**env, "VENVSTACKS_RUNTIME_CACHE": "0"})

        def cache_warm() -> float:
            shutil.rmtree(project / "_round", ignore_errors=True)
            return timed(build, project, env)

        def plain() -> float:
            target = work / "plain"
            shutil.rmtree(target, ignore_errors=True)
            started = time.perf_counter()
            subprocess.run(
                [*uv, "venv", "-q", "--python", base_python, str(target)],
                env=env,
                check=True,
            )
            subprocess.run(
                [
                    *uv,
                    "pip",
                    "install",
                    "-q",
                    "--python",
                    str(target / "bin" / "python"),
                    *packages,
                ],
                env=env,
                check=True,
            )
            return time.perf_counter() - started

        cases = {
            "cache off": cache_off,
            "cache warm": cache_warm,
            "plain uv venv": plain,
        }
        if args.baseline:
            old = work / "baseline"
            old.mkdir()
            (old / "venvstacks.toml").write_text(SPEC)
            for name, text in FILES.items():
                (old / name).write_text(text)
            old_vs = [args.baseline, "-m", "venvstacks", "-q"]
            subprocess.run([*old_vs, "lock", "."], cwd=old, env=env, check=True)
            old_build = [*old_vs, "build", "."]

            def baseline() -> float:
                shutil.rmtree(old / "_build", ignore_errors=True)
                return timed(old_build, old, env)

            cases = {"baseline": baseline, **cases}
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, case in cases.items():
                times[name].append(case())
            print("  " + ", ".join(f"{t[-1]:.2f}" for t in times.values()), flush=True)
    reference = "baseline" if args.baseline else "cache off"
    base = statistics.median(times[reference])
    print(f"\nfirst build, numpy + scikit-learn stack (4 layers), median of {args.runs}:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<22}{median:>8.2f} s{median / base:>8.2f}x {reference}")


if __name__ == "__main__":
    main()
