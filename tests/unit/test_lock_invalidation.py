"""Which locks go stale after an edit, as one table (the reference 0.8 rules).

Each case starts from a stack whose layers all have valid locks (written here from
their current inputs, without uv), applies one edit to the spec or a module, and
compares the set of layers ``lock_status`` reports as needing a relock.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from venvstacks.engine.stack import Stack
from venvstacks.lock.files import LockMetadata, sha256_text
from venvstacks.lock.status import check_lock

SPEC = """
[[runtimes]]
name = "cpython-3.11"
python_implementation = "cpython@3.11.7"
requirements = ["numpy"]

[[runtimes]]
name = "cpython-3.12"
python_implementation = "cpython@3.12.1"
requirements = []

[[frameworks]]
name = "fw"
runtime = "cpython-3.11"
requirements = ["scipy"]

[[frameworks]]
name = "other"
runtime = "cpython-3.12"
requirements = ["httpx"]

[[applications]]
name = "app"
frameworks = ["fw"]
launch_module = "app.py"
requirements = ["click"]

[[applications]]
name = "vapp"
frameworks = ["fw"]
launch_module = "vapp.py"
support_modules = ["helper.py"]
requirements = []
versioned = true

[[applications]]
name = "app12"
frameworks = ["other"]
launch_module = "app.py"
requirements = []
"""
ON_311 = {"cpython-3.11", "framework-fw", "app-app", "app-vapp"}


def fake_lock(stack: Stack) -> None:
    """Write a valid lock for every layer, lower layers first (one package per req)."""
    for layer in stack.spec.layers():
        files = stack.lock_files(layer)
        files.folder.mkdir(parents=True, exist_ok=True)
        text = 'lock-version = "1.0"\ncreated-by = "test"\n'
        for requirement in layer.requirements:
            text += f'\n[[packages]]\nname = "{requirement}"\nversion = "1.0"\n'
        files.pylock.write_text(text, "utf-8")
        inputs = stack.lock_inputs(layer)
        metadata = LockMetadata(
            lock_input_hash=inputs.digest(),
            requirements_hash=sha256_text(text),
            lock_version=1,
            locked_at="2025-01-01T00:00:00+00:00",
            python_implementation="cpython@3.11.7",
            dependency_input_hash=inputs.dependency_digest(),
            version_input_hash=inputs.version_digest(),
        )
        files.meta.write_text(metadata.to_json(), "utf-8")


def spec_edit(old: str, new: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / "venvstacks.toml"
        text = path.read_text("utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), "utf-8")

    return edit


def file_edit(name: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        with (folder / name).open("a", encoding="utf-8") as handle:
            handle.write("# changed\n")

    return edit


TABLE: list[tuple[str, Callable[[Path], None], set[str]]] = [
    ("nothing changed", lambda folder: None, set()),
    (
        "framework requirement edit: it and the layers above",
        spec_edit('requirements = ["scipy"]', 'requirements = ["scipy>=1"]'),
        {"framework-fw", "app-app", "app-vapp"},
    ),
    (
        "runtime requirement edit: everything on the runtime",
        spec_edit('requirements = ["numpy"]', 'requirements = ["numpy", "six"]'),
        ON_311,
    ),
    (
        "app requirement edit: that app only",
        spec_edit('requirements = ["click"]', 'requirements = ["click<9"]'),
        {"app-app"},
    ),
    (
        "Python patch release: nothing",
        spec_edit('"cpython@3.11.7"', '"cpython@3.11.9"'),
        set(),
    ),
    (
        "Python minor version change: the runtime and everything on it",
        spec_edit('"cpython@3.11.7"', '"cpython@3.13.1"'),
        ON_311,
    ),
    (
        "linux_target on a framework: that layer only",
        spec_edit(
            'requirements = ["scipy"]',
            'requirements = ["scipy"]\nlinux_target = "glibc@2.17"',
        ),
        {"framework-fw"},
    ),
    (
        "macosx_target on a runtime: that layer only",
        spec_edit(
            'requirements = ["numpy"]', 'requirements = ["numpy"]\nmacosx_target = "11.0"'
        ),
        {"cpython-3.11"},
    ),
    (
        "platforms of an app: that layer only",
        spec_edit(
            'requirements = ["click"]',
            'requirements = ["click"]\nplatforms = ["linux_x86_64"]',
        ),
        {"app-app"},
    ),
    ("launch module of an unversioned app: no lock", file_edit("app.py"), set()),
    ("launch module of a versioned app: that app", file_edit("vapp.py"), {"app-vapp"}),
    ("support module of a versioned app: that app", file_edit("helper.py"), {"app-vapp"}),
]


@pytest.mark.parametrize(
    ("edit", "expected"), [pytest.param(e, x, id=name) for name, e, x in TABLE]
)
def test_invalidation_table(
    tmp_path: Path, edit: Callable[[Path], None], expected: set[str]
) -> None:
    (tmp_path / "venvstacks.toml").write_text(SPEC, "utf-8")
    for name in ("app.py", "vapp.py", "helper.py"):
        (tmp_path / name).write_text("print('hi')\n", "utf-8")
    fake_lock(Stack.load(tmp_path / "venvstacks.toml"))
    assert all(s.valid for s in Stack.load(tmp_path / "venvstacks.toml").lock_status())
    edit(tmp_path)
    stack = Stack.load(tmp_path / "venvstacks.toml")
    stale = {s.env_name for s in stack.lock_status() if not s.valid}
    assert stale == expected
    for status in stack.lock_status():
        if not status.valid:
            assert status.state == "stale", status


def test_reference_locks_are_recognised_never_missing(tmp_path: Path) -> None:
    (tmp_path / "venvstacks.toml").write_text(SPEC, "utf-8")
    for name in ("app.py", "vapp.py", "helper.py"):
        (tmp_path / name).write_text("print('hi')\n", "utf-8")
    stack = Stack.load(tmp_path / "venvstacks.toml")
    fake_lock(stack)
    layer = stack.spec.layer("framework-fw")
    files = stack.lock_files(layer)
    files.meta.write_text(
        '{"lock_input_hash": "sha256:1", "lock_version": 3, "locked_at": "2025-08-27T00:00:00+00:00",'
        ' "other_inputs_hash": "sha256:2", "requirements_hash": "sha256:3",'
        ' "version_inputs_hash": "sha256:4"}',
        "utf-8",
    )
    status = check_lock(stack.lock_inputs(layer), files)
    assert status.state == "reference"
    assert status.reason == (
        "written by the reference implementation; relock with `venvstacks lock`"
    )
    states = {s.env_name: s for s in stack.lock_status()}
    assert states["app-app"].state == "stale"
    assert "framework-fw needs relocking" in states["app-app"].reason
