"""Drop-in checks against the reference venvstacks 0.8 with real uv.

- The reference's own sample project, with the lock files it commits, is recognised
  (never "missing") and relocks with our CLI (its runtimes changed to the CPythons
  installed here).
- A layer whose package has no wheel for one of its target platforms is refused,
  the error naming the package and the platform.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_venvstacks.wheels import write_wheel
from venvstacks.lock.files import REFERENCE_LOCK_REASON

pytestmark = pytest.mark.integration

REFERENCE = Path(__file__).parents[1] / "data" / "reference_0_8"
WINDOWS_ARM_LESS = (
    'platforms = ["linux_aarch64", "linux_x86_64", "macosx_arm64", "macosx_x86_64", '
    '"win_amd64"]\n'
)


def layers(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        x["name"]: x
        for key in ("runtimes", "frameworks", "applications")
        for x in status[key]
    }


def test_reference_sample_project_is_recognised_and_relocked(stack_project) -> None:
    spec = (REFERENCE / "sample_project" / "venvstacks.toml").read_text("utf-8")
    spec = spec.replace("cpython@3.11.11", "cpython@3.11.7")
    spec = spec.replace("cpython@3.12.9", "cpython@3.12.1")
    project = stack_project(spec, runtime_source="local")
    for item in ("requirements", "launch_modules", "support_modules"):
        shutil.copytree(REFERENCE / "sample_project" / item, project.root / item)
    shutil.copytree(REFERENCE / "minimal_project", project.root.parent / "minimal_project")

    shown = project.cli("show", "--json")
    assert shown.returncode == 0, shown.stderr
    every = layers(json.loads(shown.stdout))
    assert len(every) == 8
    for entry in every.values():
        assert entry["lock"]["state"] == "reference", entry
        assert entry["lock"]["reason"] == REFERENCE_LOCK_REASON
        assert not entry["has_valid_lock"]
    text = project.cli("show").stdout
    assert "missing" not in text and "relock with `venvstacks lock`" in text

    # As the reference 0.8.0 checks too: the sample targets win_arm64 by default, but
    # dlltracer (in cpython-3.11) has no win_arm64 wheel, so that lock is refused.
    refused = project.cli("lock")
    assert refused.returncode == 4, refused.stderr
    message = " ".join(refused.stderr.split())
    assert "layer 'cpython-3.11'" in message
    assert "dlltracer==1.0.3 (win_arm64)" in message

    # Without win_arm64, the whole stack relocks; versions continue the reference's.
    spec = spec.replace(
        'requirements = [\n    "numpy",',
        WINDOWS_ARM_LESS + 'requirements = [\n    "numpy",',
    )
    spec = spec.replace('"win_amd64", "win_arm64"]', '"win_amd64"]')
    project.write("venvstacks.toml", spec)
    relocked = project.cli("lock")
    assert relocked.returncode == 0, relocked.stderr
    status = layers(json.loads(project.cli("show", "--json").stdout))
    assert all(x["has_valid_lock"] for x in status.values()), status
    assert status["framework-scipy"]["install_target"] == "framework-scipy@6"
    assert status["cpython-3.12"]["install_target"] == "cpython-3.12@4"
    assert status["app-scipy-client"]["install_target"] == "app-scipy-client"
    again = project.cli("lock", "--if-needed")
    assert again.returncode == 0, again.stderr
    assert "Locks unchanged" in again.stdout


MISSING_WHEEL_SPEC = """
[[runtimes]]
name = "cpython-3.11"
python_implementation = "cpython@3.11"
requirements = []

[[frameworks]]
name = "native"
runtime = "cpython-3.11"
requirements = ["tinylinux"]
"""


def test_lock_refused_for_a_platform_without_a_wheel(stack_project) -> None:
    project = stack_project(MISSING_WHEEL_SPEC)
    write_wheel(
        project.root / "wheels",
        "tinylinux",
        "1.0",
        {"tinylinux.py": "VALUE = 1\n"},
        tag="py3-none-manylinux_2_17_x86_64",
    )
    args = ("lock", "--no-index", "--local-wheels", "wheels")
    refused = project.cli(*args)
    assert refused.returncode == 4, refused.stderr
    message = " ".join(refused.stderr.split())
    assert "layer 'framework-native'" in message
    assert (
        "tinylinux==1.0 (linux_aarch64, macosx_arm64, macosx_x86_64, win_amd64, win_arm64)"
        in message
    )
    assert not (project.root / "requirements" / "framework-native").exists()

    # a glibc bound below the wheel's is refused as well
    project.write(
        "venvstacks.toml",
        MISSING_WHEEL_SPEC + 'platforms = ["linux_x86_64"]\nlinux_target = "glibc@2.12"\n',
    )
    bounded = project.cli(*args)
    assert bounded.returncode == 4, bounded.stderr
    assert "tinylinux==1.0 (linux_x86_64)" in " ".join(bounded.stderr.split())

    project.write("venvstacks.toml", MISSING_WHEEL_SPEC + 'platforms = ["linux_x86_64"]\n')
    accepted = project.cli(*args)
    assert accepted.returncode == 0, accepted.stderr
