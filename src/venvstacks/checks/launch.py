"""``launch``: an application's launch module and support modules import.

The launch module is not run. A package's ``__init__`` is imported; the code of a
module file (or a package's ``__main__.py``) is compiled, and the modules its top-level
``import`` statements name (outside ``try`` and ``if`` blocks) are imported. Support
modules are imported as they are.
"""

from __future__ import annotations

import ast
from pathlib import Path

from venvstacks.checks.imports import import_modules
from venvstacks.checks.model import CheckResult, LayerFolder, failed, passed, skipped

CHECK = "launch"


def _top_level_imports(source: Path, package: str | None) -> list[str]:
    """Modules named by top-level imports of a file (relative ones resolved)."""
    tree = ast.parse(source.read_bytes(), str(source))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if package is None:
                    continue
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1]
                )
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            if module and module != "__future__":
                names.append(module)
    return list(dict.fromkeys(names))


def modules_to_import(layer: LayerFolder) -> tuple[list[str], list[str]]:
    """(modules to import, notes on what was looked at) for the launch check."""
    assert layer.launch_module is not None
    name = layer.launch_module
    site = layer.site_path
    notes: list[str] = []
    modules: list[str] = []
    if (site / name).is_dir():
        modules.append(name)
        notes.append(f"package {name} (imported)")
        main = site / name / "__main__.py"
        if main.is_file():
            found = _top_level_imports(main, name)
            notes.append(f"{name}/__main__.py imports: {', '.join(found) or 'nothing'}")
            modules.extend(found)
    else:
        found = _top_level_imports(site / f"{name}.py", None)
        notes.append(f"{name}.py imports: {', '.join(found) or 'nothing'}")
        modules.extend(found)
    for support in layer.support_modules:
        modules.append(support)
        notes.append(f"support module {support} (imported)")
    return list(dict.fromkeys(modules)), notes


def check_launch(layer: LayerFolder, where: str = "") -> CheckResult:
    """Run the ``launch`` check (``where`` names the folder in messages)."""
    if layer.launch_module is None:
        return skipped(CHECK, layer.env_name, "not an application layer")
    try:
        modules, notes = modules_to_import(layer)
    except (OSError, SyntaxError, ValueError) as exc:
        return failed(
            CHECK,
            layer.env_name,
            f"the launch module {layer.launch_module} cannot be read or compiled{where}: "
            f"{exc}. Fix the launch module's source.",
        )
    errors, problem = import_modules(layer, modules)
    if problem:
        return failed(
            CHECK,
            layer.env_name,
            f"importing the launch module {layer.launch_module}{where} crashed the "
            f"interpreter ({problem}).",
            notes,
        )
    if errors:
        lines = "; ".join(f"{name}: {errors[name]}" for name in modules if name in errors)
        return failed(
            CHECK,
            layer.env_name,
            f"the launch module {layer.launch_module}{where} cannot be imported: {lines}. "
            "Add the missing requirement to this application (or a framework it runs "
            "on), or fix the module.",
            notes,
        )
    return passed(
        CHECK, layer.env_name, f"launch module {layer.launch_module} imports{where}", notes
    )
