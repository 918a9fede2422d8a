"""``isolated``: a layer's ``sys.path`` holds only folders of its own stack.

The layer's Python prints ``sys.path`` three ways: with ``-I``; without it; and without
it with a user site-packages folder present (a fresh ``HOME`` holding one). Every
entry must be inside the layer, one of its lower layers or its runtime. The script's
own folder (``sys.path[0]`` without ``-I``) is not counted. A runtime layer is a base
interpreter, not a virtual environment: like any CPython it adds an existing user
site-packages folder unless run with ``-I`` or ``-s``, so for runtime layers that one
entry is reported in the details but not counted as a leak (every layer above a runtime
is a virtual environment and must not add it).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from venvstacks.checks.model import (
    CheckResult,
    LayerFolder,
    clean_environment,
    failed,
    last_lines,
    passed,
    run_python,
)

CHECK = "isolated"

_PRINT_PATH = (
    "import json, sys; print(json.dumps(sys.path if sys.flags.isolated else sys.path[1:]))"
)

_USER_SITE = "import site; print(site.getusersitepackages())"


def _inside(entry: str, folders: list[str]) -> bool:
    candidates = {os.path.normpath(entry), os.path.realpath(entry)}
    return any(c == f or c.startswith(f + os.sep) for c in candidates for f in folders)


def check_isolated(layer: LayerFolder) -> CheckResult:
    """Run the ``isolated`` check on a layer (see the module docstring)."""
    folders = sorted(
        {os.path.normpath(f) for f in layer.stack_folders}
        | {os.path.realpath(f) for f in layer.stack_folders}
    )
    leaks: list[str] = []
    details: list[str] = []
    with tempfile.TemporaryDirectory(prefix="venvstacks-home-") as home:
        env = clean_environment(HOME=home)
        env.pop("PYTHONUSERBASE", None)
        user_site = run_python(layer, ["-c", _USER_SITE], isolated=False, env=env)
        if user_site.returncode == 0 and user_site.stdout.strip():
            Path(user_site.stdout.strip()).mkdir(parents=True, exist_ok=True)
        for label, isolated in (("python -I", True), ("python with a user site", False)):
            result = run_python(
                layer, ["-c", _PRINT_PATH], isolated=isolated, env=env, cwd=Path(home)
            )
            if result.returncode != 0:
                return failed(
                    CHECK,
                    layer.env_name,
                    f"the layer's interpreter fails to start ({label}): "
                    f"{last_lines(result.stderr)}",
                )
            entries = json.loads(result.stdout.strip().splitlines()[-1])
            details.append(f"{label}: {len(entries)} sys.path entries")
            details.extend(f"  {entry}" for entry in entries)
            for entry in entries:
                if not entry or _inside(entry, folders):
                    continue
                if layer.kind == "runtime" and entry.startswith(home):
                    details.append(f"  (user site of a base interpreter: {entry})")
                    continue
                leaks.append(f"{entry} ({label})")
        plain = run_python(layer, ["-c", _PRINT_PATH], isolated=False, cwd=Path(home))
        if plain.returncode == 0:
            for entry in json.loads(plain.stdout.strip().splitlines()[-1]):
                if entry and not _inside(entry, folders):
                    leaks.append(f"{entry} (python without -I)")
    leaks = list(dict.fromkeys(leaks))
    if leaks:
        return failed(
            CHECK,
            layer.env_name,
            "the layer's sys.path reaches outside its stack: "
            + "; ".join(leaks)
            + ". Look for .pth files or plugins adding these folders; only this layer, "
            "its lower layers and its runtime may be on sys.path.",
            details,
        )
    return passed(CHECK, layer.env_name, "sys.path holds only stack folders", details)
