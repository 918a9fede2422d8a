"""``imports``: every top-level module of the layer's own distributions imports.

Modules are found from each ``*.dist-info/RECORD`` in the layer's own site-packages
(lower layers' distributions are checked on their own layers). They are imported by
the layer's Python under ``-I`` in one subprocess, each in its own ``try``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from pathlib import Path

from venvstacks.checks.model import (
    CheckResult,
    LayerFolder,
    failed,
    last_lines,
    passed,
    run_python,
    skipped,
)

CHECK = "imports"

#: Top-level names shipped by some distributions that are not meant to be imported.
DEFAULT_SKIP: tuple[str, ...] = ("test", "tests", "testing", "conftest", "docs", "examples")

_EXTENSION_SUFFIXES = (".so", ".pyd")

MARKER = "@@venvstacks-check@@"

#: Imports each module named in argv[1] (JSON) and prints the errors as JSON.
IMPORT_SCRIPT = f"""
import importlib, json, sys, traceback
errors = {{}}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except BaseException as exc:
        errors[name] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
sys.stdout.flush()
print("\\n{MARKER}" + json.dumps(errors))
"""


def _module_of(path: str) -> str | None:
    parts = path.split("/")
    first = parts[0]
    if first in ("", "..", "__pycache__") or first.endswith((".dist-info", ".data")):
        return None
    if len(parts) > 1:
        return first if first.isidentifier() and path.endswith(".py") else None
    if first.endswith(".py"):
        name = first[:-3]
    elif first.endswith(_EXTENSION_SUFFIXES):
        name = first.split(".", 1)[0]
    else:
        return None
    return name if name.isidentifier() else None


def top_level_modules(site_dir: Path) -> dict[str, list[str]]:
    """Distribution folder name -> top-level modules it installs in ``site_dir``."""
    found: dict[str, list[str]] = {}
    for record in sorted(site_dir.glob("*.dist-info/RECORD")):
        names: set[str] = set()
        text = record.read_text("utf-8", "replace")
        for row in csv.reader(io.StringIO(text)):
            if row:
                name = _module_of(row[0].replace("\\", "/"))
                if name is not None:
                    names.add(name)
        found[record.parent.name] = sorted(names)
    return found


def is_skipped(module: str, patterns: Iterable[str]) -> bool:
    """Whether a module name matches a skip pattern (a glob)."""
    return any(fnmatchcase(module, pattern) for pattern in patterns)


def import_modules(
    layer: LayerFolder, modules: Sequence[str]
) -> tuple[dict[str, str], str]:
    """Import ``modules`` with the layer's Python; (module -> error, process problem)."""
    result = run_python(layer, ["-c", IMPORT_SCRIPT, json.dumps(list(modules))])
    head, marker, tail = result.stdout.rpartition(MARKER)
    if not marker or result.returncode != 0:
        output = last_lines(result.stderr or head)
        return {}, f"the interpreter exited with status {result.returncode}: {output}"
    errors: dict[str, str] = json.loads(tail)
    return errors, ""


def check_imports(layer: LayerFolder, skip: Sequence[str] = DEFAULT_SKIP) -> CheckResult:
    """Run the ``imports`` check on a layer (see the module docstring)."""
    by_dist = top_level_modules(layer.site_path)
    launch = {layer.launch_module, *layer.support_modules}
    owners: dict[str, str] = {}
    for dist, names in by_dist.items():
        for name in names:
            if name not in launch and not is_skipped(name, skip):
                owners.setdefault(name, dist.removesuffix(".dist-info"))
    if not owners:
        return skipped(CHECK, layer.env_name, "the layer installs no importable module")
    details = [f"{name} (from {dist})" for name, dist in sorted(owners.items())]
    errors, problem = import_modules(layer, sorted(owners))
    if problem:
        return failed(
            CHECK,
            layer.env_name,
            f"importing the layer's modules crashed its interpreter ({problem}).",
            details,
        )
    if errors:
        lines = [f"{name} (from {owners[name]}): {errors[name]}" for name in sorted(errors)]
        return failed(
            CHECK,
            layer.env_name,
            f"{len(errors)} of {len(owners)} top-level module(s) installed in this layer "
            "fail to import with its own interpreter (python -I): "
            + "; ".join(lines)
            + ". Fix or pin the distribution, or list modules that are not meant to "
            "be imported in the venvstacks_skip_modules setting.",
            details,
        )
    return passed(
        CHECK, layer.env_name, f"{len(owners)} top-level module(s) import", details
    )
