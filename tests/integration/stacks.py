"""Stacks shared by the integration tests (built once per session)."""

from __future__ import annotations

# Two runtimes, a framework DAG (web on http + yaml), three apps: one with a package
# launch module and a support module, one directly on the 3.12 runtime and versioned.
LAYERED_SPEC = """
[[runtimes]]
name = "cpython-3.11"
python_implementation = "cpython@3.11"
platforms = ["linux_x86_64", "macosx_arm64", "win_amd64"]
requirements = ["six"]

[[runtimes]]
name = "cpython-3.12"
python_implementation = "cpython@3.12"
requirements = []

[[frameworks]]
name = "http"
runtime = "cpython-3.11"
requirements = ["idna", "certifi"]

[[frameworks]]
name = "yaml"
runtime = "cpython-3.11"
requirements = ["pyyaml"]

[[frameworks]]
name = "web"
frameworks = ["http", "yaml"]
requirements = ["markupsafe", "idna"]

[[applications]]
name = "tool"
launch_module = "launch/tool"
support_modules = ["support/tool_support.py"]
frameworks = ["web"]
requirements = ["idna", "pyyaml", "markupsafe", "attrs", "six"]

[[applications]]
name = "plain"
launch_module = "launch/plain.py"
frameworks = ["http"]
requirements = ["certifi", "packaging"]

[[applications]]
name = "modern"
launch_module = "launch/modern.py"
runtime = "cpython-3.12"
versioned = true
requirements = ["packaging"]

[tool.uv]
exclude-newer = "2025-06-01T00:00:00Z"
"""

#: Which layer app-tool imports each module from.
TOOL_IMPORTS = {
    "idna": "framework-http",
    "yaml": "framework-yaml",
    "markupsafe": "framework-web",
    "attrs": "app-tool",
    "six": "cpython-3.11",
    "certifi": "framework-http",
    "tool_support": "app-tool",
}

LAYERED_FILES = {
    "launch/tool/__init__.py": "",
    "launch/tool/__main__.py": (
        "from tool_support import report\n"
        "report(['idna', 'yaml', 'markupsafe', 'attrs', 'six', 'certifi', 'tool_support'])\n"
    ),
    "support/tool_support.py": (
        "import importlib, json, sys\n"
        "from pathlib import Path\n"
        "def where(module):\n"
        "    path = Path(module.__file__)\n"
        "    for parent in path.parents:\n"
        "        if (parent / 'share/venv/metadata/venvstacks_layer.json').exists():\n"
        "            return parent.name\n"
        "    return str(path)\n"
        "def report(names):\n"
        "    print(json.dumps({n: where(importlib.import_module(n)) for n in names}))\n"
    ),
    "launch/plain.py": (
        "import json, pathlib, certifi, idna, packaging, six\n"
        "def where(m):\n"
        "    p = pathlib.Path(m.__file__)\n"
        "    return next(q.name for q in p.parents\n"
        "                if (q / 'share/venv/metadata/venvstacks_layer.json').exists())\n"
        "print(json.dumps({m.__name__: where(m) for m in (certifi, idna, packaging, six)}))\n"
    ),
    "launch/modern.py": (
        "import json, sys, packaging\n"
        "print(json.dumps({'version': sys.version_info[:2], 'packaging': packaging.__file__}))\n"
    ),
}

# A small stack for tests that change things: one runtime, one framework, one app.
SMALL_SPEC = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.11"
platforms = ["linux_x86_64"]
requirements = []

[[frameworks]]
name = "fw"
runtime = "rt"
requirements = ["idna"]

[[applications]]
name = "app"
launch_module = "app.py"
frameworks = ["fw"]
versioned = true
requirements = ["idna", "six"]

[tool.uv]
exclude-newer = "2025-06-01T00:00:00Z"
"""

SMALL_FILES = {"app.py": "import idna, six\nprint('app ok', idna.__name__, six.__name__)\n"}
