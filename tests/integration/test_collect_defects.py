"""Seeded defects, each caught by ``pytest --venvstacks`` on the layer that has it.

One stack holds every kind of defect on a layer of its own (plus good layers), and
one real pytest run (``pytester``) checks it: the failed items must be exactly the
expected ones, with messages naming the cause.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_venvstacks.wheels import write_wheel

pytestmark = pytest.mark.integration

DEFECT_SPEC = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.11"
platforms = ["linux_x86_64"]
requirements = []

[[frameworks]]
name = "good"
runtime = "rt"
requirements = ["vs-fine"]

[[frameworks]]
name = "boom"
runtime = "rt"
requirements = ["vs-boom"]

[[frameworks]]
name = "native"
runtime = "rt"
requirements = ["vs-needslib"]

[[frameworks]]
name = "leak"
runtime = "rt"
requirements = ["vs-fine"]

[[frameworks]]
name = "link"
runtime = "rt"
requirements = ["vs-fine"]

[[frameworks]]
name = "buildpath"
runtime = "rt"
requirements = ["vs-fine"]

[[frameworks]]
name = "rand"
runtime = "rt"
requirements = ["vs-fine"]

[[frameworks]]
name = "nobuild"
runtime = "rt"
requirements = ["vs-fine"]

[[applications]]
name = "badlaunch"
launch_module = "badlaunch.py"
frameworks = ["good"]
requirements = ["vs-fine"]

[[applications]]
name = "ok"
launch_module = "okapp"
frameworks = ["good"]
requirements = ["vs-fine"]

[[applications]]
name = "onnobuild"
launch_module = "okapp"
frameworks = ["nobuild"]
requirements = ["vs-fine"]
"""

PLUGIN = """
import os, subprocess, uuid
from pathlib import Path
from venvstacks import hookimpl

def _site(env_path):
    return next(Path(env_path).glob("lib/python3*/site-packages"))

@hookimpl
def venvstacks_post_install(layer, env_path):
    env_path = Path(env_path)
    if layer.name == "framework-leak":
        (_site(env_path) / "leak.pth").write_text(os.environ["VS_LEAK_DIR"] + "\\n")
    elif layer.name == "framework-link":
        (env_path / "share").mkdir(exist_ok=True)
        link = env_path / "share" / "abs-link"
        if not link.is_symlink():
            link.symlink_to("/usr/bin/env")
    elif layer.name == "framework-buildpath":
        (env_path / "share").mkdir(exist_ok=True)
        (env_path / "share" / "where.txt").write_text(str(env_path) + "/marker\\n")
    elif layer.name == "framework-nobuild":
        raise RuntimeError("seeded build failure")

def _answer(layer_path, python):
    out = subprocess.run([str(python), "-I", "-c", "print(6 * 7)"], capture_output=True, text=True)
    return None if out.stdout.strip() == "42" else "no answer"

def _no_answer(layer_path, python):
    return "the answer check found no answer in " + layer_path.name

@hookimpl
def venvstacks_layer_checks(layer):
    if layer.name == "app-ok":
        return {"answer": _answer}
    if layer.name == "framework-boom":
        return {"answer": _no_answer}
    return None

@hookimpl
def venvstacks_pre_archive(layer, staging_path):
    if layer.name == "framework-rand":
        (Path(staging_path) / "random.txt").write_text(uuid.uuid4().hex)
"""

#: Every item expected to fail, with a text its message must hold.
EXPECTED_FAILURES = {
    "framework-boom::imports": "vs_boom",
    "framework-boom::answer": "no answer in framework-boom",
    "framework-native::dynlib": "libvsmissing.so",
    "framework-leak::isolated": "leaked-folder",
    "framework-link::relocatable": "abs-link",
    "framework-link::reproducible": "abs-link",
    "framework-buildpath::relocatable": "where.txt",
    "framework-buildpath::reproducible": "where.txt",
    "framework-rand::reproducible": "random.txt",
    "framework-nobuild::build": "seeded build failure",
    "app-badlaunch::launch": "vs_not_installed",
    "app-badlaunch::relocatable": "vs_not_installed",
    **{
        f"framework-nobuild::{check}": "seeded build failure"
        for check in ("imports", "dynlib", "isolated", "reproducible", "relocatable")
    },
    "app-onnobuild::build": "framework-nobuild",
    **{
        f"app-onnobuild::{check}": "framework-nobuild"
        for check in (
            "imports",
            "launch",
            "dynlib",
            "isolated",
            "reproducible",
            "relocatable",
        )
    },
}


def make_native_wheel(folder: Path, work: Path) -> None:
    """A wheel whose shared library needs a library no layer (and no system) ships."""
    (work / "missing.c").write_text("int vs_missing(void) { return 1; }\n")
    (work / "consumer.c").write_text(
        "int vs_missing(void);\nint vs_consumer(void) { return vs_missing(); }\n"
    )
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-o", "libvsmissing.so", "missing.c"],
        cwd=work,
        check=True,
    )
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-o",
            "libconsumer.so",
            "consumer.c",
            "-L.",
            "-lvsmissing",
        ],
        cwd=work,
        check=True,
    )
    write_wheel(
        folder,
        "vs-needslib",
        "1.0",
        {
            "vs_needslib/__init__.py": "",
            "vs_needslib/_native/libconsumer.so": (work / "libconsumer.so").read_bytes(),
        },
    )


def write_defect_project(root: Path) -> None:
    wheels = root / "wheels"
    write_wheel(wheels, "vs-fine", "1.0", {"vs_fine.py": "VALUE = 1\n"})
    write_wheel(
        wheels, "vs-boom", "1.0", {"vs_boom/__init__.py": "raise RuntimeError('boom')\n"}
    )
    make_native_wheel(wheels, root)
    (root / "venvstacks.toml").write_text(DEFECT_SPEC)
    (root / "badlaunch.py").write_text("import vs_fine\nimport vs_not_installed\n")
    (root / "okapp").mkdir()
    (root / "okapp/__init__.py").write_text("")
    (root / "okapp/__main__.py").write_text("import vs_fine\nprint(vs_fine.VALUE)\n")


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Item id (without the spec part) -> PASSED/FAILED/SKIPPED, from -rA lines."""
    found: dict[str, str] = {}
    for line in result.outlines:
        for status in ("PASSED", "FAILED", "SKIPPED", "ERROR"):
            if line.startswith(status + " ") and "venvstacks.toml::" in line:
                node = line.split()[1].split("venvstacks.toml::", 1)[1]
                found[node] = status
    return found


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_seeded_defects_fail_only_their_own_items(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    venvstacks_uv_cache: Path | None,
    venvstacks_runtime_source: str,
) -> None:
    project = pytester.path / "defects"
    project.mkdir()
    write_defect_project(project)
    leak = pytester.path / "leaked-folder"
    leak.mkdir()
    (pytester.path / "vsdefects.py").write_text(PLUGIN)
    pytester.syspathinsert()
    monkeypatch.setenv("VS_LEAK_DIR", str(leak))
    monkeypatch.setenv("VENVSTACKS_PLUGINS", "vsdefects")
    args = [
        "--venvstacks",
        "defects",
        "--venvstacks-no-index",
        "--venvstacks-local-wheels",
        "wheels",
        "--venvstacks-runtime-source",
        venvstacks_runtime_source,
        "-rA",
        "-v",
    ]
    if venvstacks_uv_cache is not None:
        args.append(f"--venvstacks-uv-cache={venvstacks_uv_cache}")
    result = pytester.runpytest(*args)
    found = outcomes(result)
    text = result.stdout.str()
    failed = {node for node, status in found.items() if status != "PASSED"}
    failed -= {node for node, status in found.items() if status == "SKIPPED"}
    assert failed == set(EXPECTED_FAILURES), text
    messages = {}
    for line in result.outlines:
        if line.startswith("venvstacks check '"):
            check = line.split("'")[1]
            layer = line.split(" failed on layer ", 1)[1].split(":", 1)[0]
            messages[f"{layer}::{check}"] = line
    for node, needle in EXPECTED_FAILURES.items():
        assert needle in messages[node], (node, messages[node])
    # Good layers pass every check; stack problems never show engine tracebacks.
    for layer in ("rt", "framework-good", "app-ok"):
        assert all(
            status == "PASSED"
            for node, status in found.items()
            if node.startswith(layer + "::")
        ), text
    assert "Traceback" not in text
    assert "PASSED defects/venvstacks.toml::app-ok::answer" in text
    assert "venvstacks: defects/venvstacks.toml: 12 layers x 9 checks:" in text
