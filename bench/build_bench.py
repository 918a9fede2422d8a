"""Lock, build and publish benchmark on the acceptance stack (2 runtimes, 3 apps).

For each of ``--runs`` rounds, in fresh folders: ``venvstacks lock``, the first
``venvstacks build``, a no-op ``venvstacks build``, then ``venvstacks publish`` (all
through the CLI, as a user runs them; runtimes from installed CPythons, uv cache warm
after the first round).
Prints medians, and the no-op build as a ratio of the first build (the baseline; the
reference venvstacks measured 81% here).

    .venv/bin/python bench/build_bench.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.stacks import LAYERED_FILES, LAYERED_SPEC


def timed(*args: str, cwd: Path) -> float:
    """Seconds one CLI command takes (it must succeed)."""
    env = {**os.environ, "VENVSTACKS_RUNTIME_SOURCE": "local"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "venvstacks", "-q", *args], cwd=cwd, env=env, check=True
    )
    return time.perf_counter() - started


def one_round(root: Path) -> dict[str, float]:
    """Lock, first build, no-op build and publish of a fresh copy of the stack."""
    root.mkdir(parents=True)
    (root / "venvstacks.toml").write_text(LAYERED_SPEC)
    for relative, text in LAYERED_FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {
        "lock": timed("lock", cwd=root),
        "first build": timed("build", cwd=root),
        "no-op build": timed("build", cwd=root),
        "publish": timed("publish", cwd=root),
    }


def main() -> None:
    """Run the rounds and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory() as work:
        for index in range(args.runs):
            result = one_round(Path(work) / f"round{index}")
            print("  " + ", ".join(f"{k} {v:.2f}s" for k, v in result.items()), flush=True)
            rounds.append(result)
    medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    base = medians["first build"]
    print(f"\nacceptance stack (8 layers), median of {args.runs}:")
    for key, value in medians.items():
        print(f"{key:<12}{value:>8.2f} s{value / base:>8.2f}x first build")


if __name__ == "__main__":
    main()
