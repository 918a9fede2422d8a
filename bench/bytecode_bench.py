"""Bytecode benchmark: what shipping ``.pyc`` costs when publishing, what it saves at start.

On the sample project (locked and built once in a temporary copy):

1. publishes it with and without ``--bytecode`` (``--format``, default xz), alternating,
   ``--publish-runs`` times: total archive bytes and seconds, as ratios;
2. unpacks both publications into read-only folders (``chmod -R a-w``, and
   ``PYTHONDONTWRITEBYTECODE=1`` for every run, since root ignores modes) and makes a
   plain uv venv on the same interpreter holding the same packages and the app,
   compiled as ``uv pip install --compile-bytecode`` does; then runs
   ``python -m report`` in each, alternating, ``--runs`` times, and prints the median
   CPU time (user + system) of each as a ratio to the plain venv.

    .venv/bin/python bench/bytecode_bench.py [--runs 15] [--publish-runs 1]
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

from venvstacks.archive import unpack_archive

ROOT = Path(__file__).resolve().parent.parent
APP = "app-report"
MODULE = "report"


def run(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    """Run a command that must succeed; its stdout."""
    result = subprocess.run(
        command, cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout


def cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of one run of ``command`` (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def publish(
    project: Path, out: Path, fmt: str, bytecode: bool, env: dict[str, str]
) -> tuple[float, int]:
    """Seconds and total archive bytes of one forced publish."""
    shutil.rmtree(out, ignore_errors=True)
    flag = "--bytecode" if bytecode else "--no-bytecode"
    command = [sys.executable, "-m", "venvstacks", "-q", "publish", "--force", flag]
    started = time.perf_counter()
    run([*command, "--format", fmt, "--output-dir", str(out), "."], cwd=project, env=env)
    seconds = time.perf_counter() - started
    size = sum(path.stat().st_size for path in out.glob("*.tar.*"))
    return seconds, size


def deploy_read_only(archives: Path, target: Path) -> Path:
    """Unpack every archive side by side, then make the whole tree read-only."""
    target.mkdir(parents=True)
    for archive in sorted(archives.glob("*.tar.*")):
        unpack_archive(archive, target)
    run(["chmod", "-R", "a-w", str(target)])
    return target


def plain_venv(deployed: Path, target: Path, project: Path, env: dict[str, str]) -> Path:
    """A uv venv on the deployed runtime's interpreter, same packages, same app."""
    app_python = deployed / APP / "bin" / "python"
    version = run(
        [str(app_python), "-c", "import platform; print(platform.python_version())"]
    )
    from venvstacks.runtimes import discover_installed

    installed = [p for p in discover_installed() if p.version == version.strip()]
    base_python = str(installed[0].executable)  # the installation the runtime came from
    freeze = run(
        [
            str(app_python),
            "-c",
            "import importlib.metadata as m\n"
            "for d in m.distributions(): print(d.metadata['Name'] + '==' + d.version)",
        ]
    ).split()
    uv = [sys.executable, "-m", "uv"]
    run([*uv, "venv", "-q", "--python", base_python, str(target)], env=env)
    python = target / "bin" / "python"
    run(
        [
            *uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(python),
            "--compile-bytecode",
            *freeze,
        ],
        env=env,
    )
    site = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
    )
    site_dir = Path(site.strip())
    shutil.copytree(project / "launch_modules" / MODULE, site_dir / MODULE)
    for support in (project / "support_modules").glob("*.py"):
        shutil.copy2(support, site_dir / support.name)
    run([str(python), "-m", "compileall", "-q", str(site_dir)])
    return python


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--publish-runs", type=int, default=1)
    parser.add_argument("--format", default="xz")
    args = parser.parse_args()
    env = {**os.environ, "VENVSTACKS_RUNTIME_SOURCE": "local"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        project = work / "sample_project"
        shutil.copytree(ROOT / "sample_project", project)
        run(
            [sys.executable, "-m", "venvstacks", "-q", "build", "--lock-if-needed", "."],
            cwd=project,
            env=env,
        )
        results: dict[bool, list[tuple[float, int]]] = {True: [], False: []}
        for _ in range(args.publish_runs):
            for bytecode in (False, True):
                out = work / f"out-{bytecode}"
                results[bytecode].append(publish(project, out, args.format, bytecode, env))
        base_time = statistics.median(t for t, _ in results[False])
        base_size = results[False][0][1]
        print(
            f"\npublish --format {args.format} of the sample project, "
            f"median of {args.publish_runs}:"
        )
        for bytecode in (False, True):
            seconds = statistics.median(t for t, _ in results[bytecode])
            size = results[bytecode][0][1]
            name = "--bytecode" if bytecode else "--no-bytecode"
            print(
                f"{name:<16}{seconds:>8.2f} s{size / 1e6:>8.2f} MB"
                f"{seconds / base_time:>8.2f}x time{size / base_size:>8.3f}x bytes"
            )
        with_pyc = deploy_read_only(work / "out-True", work / "ro-bytecode")
        without_pyc = deploy_read_only(work / "out-False", work / "ro-plain")
        plain = plain_venv(with_pyc, work / "plain-venv", project, env)
        cases = {
            "plain venv (compiled)": [str(plain), "-m", MODULE],
            "read-only, --bytecode": [str(with_pyc / APP / "bin" / "python"), "-m", MODULE],
            "read-only, no bytecode": [
                str(without_pyc / APP / "bin" / "python"),
                "-m",
                MODULE,
            ],
        }
        # chmod does not stop root: nothing may write bytecode during the runs.
        run_env = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
        for command in cases.values():  # warm-up
            cpu_seconds(command, run_env)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, command in cases.items():
                times[name].append(cpu_seconds(command, run_env))
        run(["chmod", "-R", "u+w", str(work)])
    base = statistics.median(times["plain venv (compiled)"])
    print(
        f"\n'python -m {MODULE}' CPU time (user+sys), "
        f"median of {args.runs} alternating runs:"
    )
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<26}{median * 1000:>8.1f} ms{median / base:>8.2f}x plain venv")


if __name__ == "__main__":
    main()
