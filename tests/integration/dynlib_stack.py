"""Tiny gcc-built wheels and a stack that spreads native libraries across layers.

Providers ship a shared library inside their package (``<pkg>/lib/``); consumers ship
an extension module (limited API, ``abi3``) linked against it with RUNPATH
``$ORIGIN/../<provider>/lib``, as wheels such as torch find ``nvidia-*`` libraries.
Wheels are written by hand (:func:`pytest_venvstacks.wheels.write_wheel`).
"""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
import tempfile
import zipfile
from pathlib import Path

from pytest_venvstacks.wheels import write_wheel

TAG = "manylinux_2_17_x86_64"

LIBRARY_C = "int {func}(void) {{ return {value}; }}\n"

EXTENSION_C = """\
#define Py_LIMITED_API 0x03090000
#include <Python.h>
int {func}(void);
static PyObject *value(PyObject *self, PyObject *args) {{
    return PyLong_FromLong({func}());
}}
static PyMethodDef methods[] = {{{{"value", value, METH_NOARGS, ""}}, {{0}}}};
static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, "_ext", "", -1, methods}};
PyMODINIT_FUNC PyInit__ext(void) {{ return PyModule_Create(&module); }}
"""


def can_compile() -> str:
    """Why the wheels cannot be built here ("" when they can)."""
    if shutil.which("gcc") is None:
        return "gcc is not installed"
    include = Path(sysconfig.get_paths()["include"])
    if not (include / "Python.h").exists():
        return f"no Python.h in {include}"
    return ""


def _gcc(*args: str) -> None:
    subprocess.run(["gcc", *args], check=True, capture_output=True)


def provider_wheel(
    folder: Path,
    package: str,
    file_name: str,
    soname: str,
    func: str,
    value: int,
    version: str = "1.0",
    lib_dir: str = "lib",
) -> Path:
    """A wheel shipping ``<package>/<lib_dir>/<file_name>`` (SONAME ``soname``)."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work, "lib.c")
        source.write_text(LIBRARY_C.format(func=func, value=value))
        library = Path(work, file_name)
        _gcc("-shared", "-fPIC", "-o", str(library), f"-Wl,-soname,{soname}", str(source))
        files = {
            f"{package}/__init__.py": b"",
            f"{package}/{lib_dir}/{file_name}": library.read_bytes(),
        }
    name = package.replace("_", "-")
    return write_wheel(folder, name, version, files, tag=f"py3-none-{TAG}")


def consumer_wheel(
    folder: Path,
    package: str,
    provider_wheel_path: Path,
    provider_package: str,
    provider_file: str,
    func: str,
    *,
    runpath: bool = True,
) -> Path:
    """A wheel with extension ``<package>._ext`` needing the provider's library.

    With ``runpath`` its RUNPATH reaches the provider's folder as if both shared one
    site-packages, and it requires the provider; without, it has no search path and
    no requirement (it expects the library to be around, as for a system library).
    """
    include = sysconfig.get_paths()["include"]
    with tempfile.TemporaryDirectory() as work:
        with zipfile.ZipFile(provider_wheel_path) as archive:
            archive.extractall(work)
        lib_dir = Path(work, provider_package, "lib")
        source = Path(work, "ext.c")
        source.write_text(EXTENSION_C.format(func=func))
        extension = Path(work, "_ext.abi3.so")
        _gcc(
            "-shared",
            "-fPIC",
            f"-I{include}",
            "-o",
            str(extension),
            str(source),
            f"-L{lib_dir}",
            f"-l:{provider_file}",
            *(
                [f"-Wl,--enable-new-dtags,-rpath,$ORIGIN/../{provider_package}/lib"]
                * runpath
            ),
        )
        files = {
            f"{package}/__init__.py": b"from ._ext import value\n",
            f"{package}/_ext.abi3.so": extension.read_bytes(),
        }
    requires = (provider_package.replace("_", "-"),) if runpath else ()
    name = package.replace("_", "-")
    return write_wheel(
        folder, name, "1.0", files, requires=requires, tag=f"cp39-abi3-{TAG}"
    )


def make_wheels(folder: Path) -> Path:
    """Every wheel the dynlib stack uses, in ``folder``."""
    accdyn = provider_wheel(
        folder, "accdyn_provider", "libaccdyn.so.1", "libaccdyn.so.1", "accdyn_value", 42
    )
    consumer_wheel(
        folder,
        "accdyn_consumer",
        accdyn,
        "accdyn_provider",
        "libaccdyn.so.1",
        "accdyn_value",
    )
    accrt = provider_wheel(
        folder, "accrt_provider", "libaccrt.so.1", "libaccrt.so.1", "accrt_value", 7
    )
    consumer_wheel(
        folder, "accrt_consumer", accrt, "accrt_provider", "libaccrt.so.1", "accrt_value"
    )
    accso = provider_wheel(
        folder, "accso_provider", "libaccso.so.1.2.3", "libaccso.so.1", "accso_value", 5
    )
    consumer_wheel(
        folder,
        "accso_consumer",
        accso,
        "accso_provider",
        "libaccso.so.1.2.3",
        "accso_value",
    )
    # Same library name as accdyn_provider, other content: a conflict when both are
    # below a consumer that finds it by name only (no RUNPATH to tell which).
    provider_wheel(
        folder, "accdup_provider", "libaccdyn.so.1", "libaccdyn.so.1", "accdyn_value", 99
    )
    consumer_wheel(
        folder,
        "accfree_consumer",
        accdyn,
        "accdyn_provider",
        "libaccdyn.so.1",
        "accdyn_value",
        runpath=False,
    )
    return folder


DYNLIB_SPEC = """
[[runtimes]]
name = "rt"
python_implementation = "cpython@3.11"
platforms = ["linux_x86_64"]
requirements = ["accrt-provider"]

# provider two levels below app-deep, versioned: links must follow deployed names
[[frameworks]]
name = "base"
runtime = "rt"
versioned = true
requirements = ["accdyn-provider", "accso-provider"]

# consumers in a framework above their providers (framework base, runtime rt)
[[frameworks]]
name = "mid"
frameworks = ["base"]
requirements = ["accdyn-consumer", "accrt-consumer"]

# provider and consumer in one layer (the baseline)
[[frameworks]]
name = "both"
runtime = "rt"
requirements = ["accdyn-provider", "accdyn-consumer"]

[[frameworks]]
name = "dup"
runtime = "rt"
requirements = ["accdup-provider"]

[[frameworks]]
name = "hidden"
runtime = "rt"
requirements = ["accdyn-provider"]
dynlib_exclude = ["libaccdyn.so*"]

[[applications]]
name = "same"
launch_module = "launch/check_same.py"
frameworks = ["both"]
requirements = ["accdyn-consumer"]

[[applications]]
name = "fwfw"
launch_module = "launch/check_fwfw.py"
frameworks = ["mid"]
requirements = ["accdyn-consumer", "accrt-consumer"]

[[applications]]
name = "over"
launch_module = "launch/check_over.py"
frameworks = ["base"]
requirements = ["accdyn-consumer", "accso-consumer"]

[[applications]]
name = "deep"
launch_module = "launch/check_deep.py"
frameworks = ["mid"]
versioned = true
requirements = ["accso-consumer"]

[[applications]]
name = "excl"
launch_module = "launch/check_excl.py"
frameworks = ["hidden"]
requirements = ["accdyn-consumer"]

[[applications]]
name = "clash"
launch_module = "launch/check_same.py"
frameworks = ["base", "dup"]
requirements = ["accfree-consumer"]

[tool.uv]
exclude-newer = "2025-06-01T00:00:00Z"
"""

_CHECK = """\
import json, subprocess, sys
result = {{}}
for name in {modules!r}:
    try:
        result[name] = __import__(name).value()
    except ImportError as exc:
        result[name] = "ImportError: " + str(exc)
code = "import json; print(json.dumps([__import__(n).value() for n in %r]))" % ({modules!r},)
child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
result["child"] = json.loads(child.stdout) if child.returncode == 0 else child.stderr[-300:]
print(json.dumps(result))
"""

#: App -> the values its launch module prints when every library loads.
EXPECTED = {
    "app-same": {"accdyn_consumer": 42},
    "app-fwfw": {"accdyn_consumer": 42, "accrt_consumer": 7},
    "app-over": {"accdyn_consumer": 42, "accso_consumer": 5},
    "app-deep": {"accso_consumer": 5, "accdyn_consumer": 42, "accrt_consumer": 7},
}

DYNLIB_FILES = {
    f"launch/check_{app.removeprefix('app-')}.py": _CHECK.format(modules=list(values))
    for app, values in EXPECTED.items()
} | {"launch/check_excl.py": _CHECK.format(modules=["accdyn_consumer"])}

#: The layers that build (app-clash fails on purpose).
GOOD_LAYERS = (
    "rt",
    "framework-base",
    "framework-mid",
    "framework-both",
    "framework-dup",
    "framework-hidden",
    *EXPECTED,
    "app-excl",
)
