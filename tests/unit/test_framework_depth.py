"""A deep chain of frameworks costs linear (not exponential) work."""

from __future__ import annotations

from pathlib import Path

import pytest

from venvstacks.engine.stack import Stack
from venvstacks.lock.files import LockMetadata

DEPTH = 50


def chain_spec(folder: Path, depth: int = DEPTH) -> Path:
    parts = [
        '[[runtimes]]\nname = "rt"\npython_implementation = "cpython@3.11"\n'
        "requirements = []\n",
        '[[frameworks]]\nname = "f0"\nruntime = "rt"\nrequirements = []\n',
    ]
    for level in range(1, depth):
        parts.append(
            f'[[frameworks]]\nname = "f{level}"\nframeworks = ["f{level - 1}"]\n'
            "requirements = []\n"
        )
    parts.append(
        f'[[applications]]\nname = "app"\nframeworks = ["f{depth - 1}"]\n'
        'launch_module = "hello.py"\nrequirements = []\n'
    )
    (folder / "hello.py").write_text("print('hi')\n")
    spec = folder / "venvstacks.toml"
    spec.write_text("\n".join(parts))
    return spec


def test_context_of_a_deep_chain_reads_each_lock_a_bounded_number_of_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = Stack.load(chain_spec(tmp_path))
    reads = 0

    def counting(self: Stack, layer: object) -> LockMetadata | None:
        nonlocal reads
        reads += 1
        return None

    monkeypatch.setattr(Stack, "lock_metadata", counting)
    app = stack.spec.layer("app-app")
    context = stack.context(app)
    assert len(context.lower_layers) == DEPTH + 1
    assert context.lower_layers[0].lower_layers[0].name == f"framework-f{DEPTH - 2}"
    # Each of the DEPTH + 2 layers is visited once: two reads each at most.
    assert reads <= 2 * (DEPTH + 2)
