"""Crash and concurrency harness: SIGKILL real CLI runs, run commands in pairs.

On a tiny stack (a runtime made from an installed CPython, one framework, one app,
no packages) it measures how long one normal run of each command takes, then:

* ``--kills N`` times for each of lock, build, publish and local-export: start the
  command, SIGKILL it at a seeded random moment of its measured duration, rerun it
  normally (it must succeed) and check that no debris is left (no temporary file or
  folder anywhere in the project, build or output folders) and nothing stale is
  trusted (every archive matches its metadata's size and sha256, every lock's
  metadata matches its pylock, every stamp matches its layer's lock, and the rerun
  rebuilt what the kill interrupted);
* ``--pairs N`` times: two ``build`` on a fresh build folder at once, and two
  ``publish --force`` into one output folder at once: both must succeed with no
  traceback;
* ``--exports N`` times ``local-export --force -j 4``: every one must succeed.

It prints one JSON summary. The integration tests run it with small counts; the
full numbers (60 kills, 20 pairs, 20 exports) come from::

    VENVSTACKS_RUNTIME_SOURCE=local .venv/bin/python bench/kill_bench.py \\
        --kills 15 --pairs 20 --exports 20 --seed 9
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SPEC = """\
[[runtimes]]
name = "cpython-3.11"
python_implementation = "cpython@3.11"
requirements = []

[[frameworks]]
name = "fw"
runtime = "cpython-3.11"
requirements = []

[[applications]]
name = "hello"
frameworks = ["fw"]
launch_module = "hello"
requirements = []
"""

#: venvstacks' temporary names (see venvstacks.fsutil) and older ones.
TEMP_RE = re.compile(
    r"(\.venvstacks-tmp|\..+\.venvstacks-\d+-[0-9a-f]+\.(tmp|old)|.*\.tmp\d*)"
)
#: Each command does real work every time (relock, clean build, forced outputs);
#: zst keeps publishing fast (the kill points are the same kinds of steps as xz's).
COMMANDS: dict[str, list[str]] = {
    "lock": ["lock", "--reset-lock", "*"],
    "build": ["build", "--clean"],
    "publish": ["publish", "--force", "--format", "zst"],
    "local-export": ["local-export", "--force", "-j", "4"],
}


def make_stack(folder: Path) -> Path:
    """Write the tiny stack into ``folder``; returns the spec path."""
    (folder / "hello").mkdir(parents=True, exist_ok=True)
    (folder / "hello" / "__main__.py").write_text("print('hello')\n")
    spec = folder / "venvstacks.toml"
    spec.write_text(SPEC)
    return spec


def cli_env() -> dict[str, str]:
    """The environment of every CLI run (local runtimes, shared uv cache)."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    env.setdefault("VENVSTACKS_RUNTIME_SOURCE", "local")
    cache = os.environ.get("VENVSTACKS_TEST_UV_CACHE")
    if cache:
        env["VENVSTACKS_UV_CACHE_DIR"] = cache
    env.pop("VENVSTACKS_PLUGINS", None)
    return env


def command(spec: Path, name: str) -> list[str]:
    """The argument list of one CLI command on the stack."""
    return [sys.executable, "-m", "venvstacks", *COMMANDS[name], "-q", str(spec)]


def run(spec: Path, name: str) -> subprocess.CompletedProcess[str]:
    """Run one command to its end."""
    return subprocess.run(
        command(spec, name), env=cli_env(), capture_output=True, text=True, check=False
    )


def kill_at(spec: Path, name: str, delay: float) -> None:
    """Start a command and SIGKILL it (and only it) after ``delay`` seconds."""
    process = subprocess.Popen(
        command(spec, name),
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()


def debris(folder: Path) -> list[str]:
    """Temporary files or folders left anywhere under the project."""
    found = []
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            if TEMP_RE.fullmatch(name):
                found.append(Path(root, name).relative_to(folder).as_posix())
    return sorted(found)


def stale_trusted(folder: Path) -> list[str]:
    """Outputs that claim to be what they are not."""
    problems = []
    requirements = folder / "requirements"
    for meta_path in sorted(requirements.glob("*/*.meta.json")):
        meta = json.loads(meta_path.read_text())
        pylock = next(meta_path.parent.glob("pylock.*.toml"), None)
        if pylock is None:
            problems.append(f"{meta_path.parent.name}: metadata without pylock")
            continue
        digest = "sha256:" + hashlib.sha256(pylock.read_bytes()).hexdigest()
        if meta.get("requirements_hash") not in (digest, digest.removeprefix("sha256:")):
            problems.append(f"{meta_path.parent.name}: pylock does not match metadata")
    out = folder / "_artifacts" / "__venvstacks__" / "env_metadata"
    for env_meta in sorted(out.glob("*.json")):
        data = json.loads(env_meta.read_text())
        archive = folder / "_artifacts" / data["archive_name"]
        if not archive.is_file():
            problems.append(f"{data['layer_name']}: archive missing")
            continue
        sha = hashlib.sha256(archive.read_bytes()).hexdigest()
        if sha != data.get("archive_hashes", {}).get("sha256"):
            problems.append(f"{data['layer_name']}: archive does not match its metadata")
    return problems


def timed_run(spec: Path, name: str) -> float:
    """Seconds one successful run of ``name`` takes."""
    started = time.perf_counter()
    result = run(spec, name)
    if result.returncode != 0:
        raise RuntimeError(f"{name} failed: {result.stderr[-2000:]}")
    return time.perf_counter() - started


def kill_round(
    spec: Path, name: str, rng: random.Random, duration: float
) -> dict[str, Any]:
    """One SIGKILL of ``name`` at a random moment, then a normal rerun and checks."""
    delay = rng.uniform(0.05, duration)
    kill_at(spec, name, delay)
    rerun = run(spec, name)
    folder = spec.parent
    return {
        "command": name,
        "delay": round(delay, 3),
        "rerun_rc": rerun.returncode,
        "traceback": "Traceback" in rerun.stderr,
        "debris": debris(folder),
        "stale": stale_trusted(folder),
        "stderr": rerun.stderr[-500:] if rerun.returncode else "",
    }


def pair(spec: Path, name: str) -> list[tuple[int, bool]]:
    """Two runs of ``name`` at once: (exit status, traceback seen) of each."""
    processes = [
        subprocess.Popen(
            command(spec, name),
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for process in processes:
        _, err = process.communicate()
        results.append((process.returncode, "Traceback" in err))
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the harness; print and return the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=3, help="kills per command")
    parser.add_argument("--pairs", type=int, default=1)
    parser.add_argument("--exports", type=int, default=1)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--commands", default="lock,build,publish,local-export")
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="venvstacks-kill-"))
    spec = make_stack(folder)
    summary: dict[str, Any] = {"folder": str(folder), "seed": args.seed}
    for name in ("lock", "build", "publish", "local-export"):
        timed_run(spec, name)  # warm: the first run creates what later ones reuse
    rounds = []
    for name in args.commands.split(","):
        duration = timed_run(spec, name)
        summary[f"{name}_seconds"] = round(duration, 2)
        rounds += [kill_round(spec, name, rng, duration) for _ in range(args.kills)]
    bad = [
        r for r in rounds if r["rerun_rc"] or r["traceback"] or r["debris"] or r["stale"]
    ]
    summary["kills"] = len(rounds)
    summary["kills_bad"] = bad
    pairs: dict[str, list[list[tuple[int, bool]]]] = {"build": [], "publish": []}
    for _ in range(args.pairs):
        shutil.rmtree(folder / "_build", ignore_errors=True)
        pairs["build"].append(pair(spec, "build"))
        pairs["publish"].append(pair(spec, "publish"))
    summary["pairs"] = {k: len(v) for k, v in pairs.items()}
    summary["pair_failures"] = sum(
        rc != 0 for v in pairs.values() for p in v for rc, _ in p
    )
    summary["pair_tracebacks"] = sum(tb for v in pairs.values() for p in v for _, tb in p)
    exports = [run(spec, "local-export") for _ in range(args.exports)]
    summary["exports"] = len(exports)
    summary["export_failures"] = [e.stderr[-300:] for e in exports if e.returncode]
    summary["final_debris"] = debris(folder)
    print(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    main()
