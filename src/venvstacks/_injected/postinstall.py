"""Finish deploying a venvstacks layer after its archive was unpacked.

Run it with any CPython 3.9 or later, from any working folder::

    python path/to/layer/postinstall.py [-v | --quiet]

It only uses the standard library, changes nothing when the layer is already in
order (running it again is harmless), and never writes an absolute path on POSIX, so
the layer stays relocatable: every layer can be moved, as long as the layers stay side
by side in one folder.

* runtime layer (``python`` == ``base_python`` in the layer config): make sure
  ``bin/python3`` and ``bin/python`` link to the versioned interpreter, and that the
  interpreter is executable;
* layered environment (POSIX): make ``bin/pythonX.Y`` a relative symlink to the
  runtime's interpreter and ``bin/python3``, ``bin/python`` symlinks to it (replacing
  missing or wrong links, or regular files left by extractors without symlink
  support); remove any ``home`` key from ``pyvenv.cfg`` (on Windows, set ``home`` to the
  runtime's folder instead);
* (POSIX) make the layer's ``share/venv/dynlib`` folder hold exactly the relative
  symlinks listed under ``dynlib_links`` in the layer config: they lead the layer's
  binaries (through their ``$ORIGIN``-relative RUNPATH) to the shared libraries that
  lower layers ship;
* warn about lower layers that are not deployed (yet): layers may be deployed in any
  order;
* finally run the layer's interpreter, and fail with a one-line message if it does
  not start.

Exit status: 0 on success (with or without warnings), 1 on failure.
"""

import argparse
import json
import os
import subprocess
import sys
from typing import Any, List, Optional

# The file schemas shared with venvstacks (inlined here in the copy shipped in a layer).
from venvstacks._injected.schema import LAYER_CONFIG_PATH, LayerConfig  # inline-schema

CHECK_TIMEOUT = 120


class PostinstallError(Exception):
    """The layer cannot be made to work."""


class Log:
    """Where messages go: actions only with ``verbose``, warnings unless ``quiet``."""

    def __init__(self, verbose: bool = False, quiet: bool = False) -> None:
        self.verbose = verbose
        self.quiet = quiet
        self.actions: List[str] = []
        self.warnings: List[str] = []

    def action(self, text: str) -> None:
        self.actions.append(text)
        if self.verbose:
            _emit(sys.stdout, text)

    def warning(self, text: str) -> None:
        self.warnings.append(text)
        if not self.quiet:
            _emit(sys.stderr, "warning: " + text)


def _emit(stream: Any, text: str) -> None:
    try:
        stream.write(text + "\n")
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "ascii"
        data = (text + "\n").encode(encoding, "backslashreplace")
        stream.write(data.decode(encoding, "replace"))
    stream.flush()


def layer_dir() -> str:
    """The folder of the layer this script was deployed in."""
    return os.path.dirname(os.path.abspath(__file__))


def load_config(layer: str) -> LayerConfig:
    """The layer's ``venvstacks_layer.json``."""
    path = os.path.join(layer, *LAYER_CONFIG_PATH.split("/"))
    try:
        with open(path, encoding="utf-8") as fh:
            config = json.load(fh)
    except (OSError, ValueError) as exc:
        raise PostinstallError(
            "cannot read the layer config {}: {}".format(path, exc)
        ) from None
    for key in ("python", "base_python", "py_version"):
        if not isinstance(config.get(key), str):
            raise PostinstallError("the layer config {} has no {!r}".format(path, key))
    return config


def _local(path: str) -> str:
    """A relative POSIX path from the config, in this system's spelling."""
    return os.path.join(*path.split("/"))


def python_minor(config: LayerConfig) -> str:
    """``X.Y`` of the layer's Python."""
    return ".".join(str(config["py_version"]).split(".")[:2])


def is_runtime_layer(config: LayerConfig) -> bool:
    """Whether the layer is a runtime (its interpreter is its base interpreter)."""
    return os.path.normpath(config["python"]) == os.path.normpath(config["base_python"])


def ensure_symlink(link: str, target: str, log: Log) -> bool:
    """Make ``link`` a symlink to the relative ``target``; whether it changed."""
    if os.path.islink(link):
        if os.readlink(link) == target:
            return False
    elif os.path.isdir(link):
        raise PostinstallError("{} is a folder, not a symlink".format(link))
    temp = "{}.{}.venvstacks-tmp".format(link, os.getpid())
    if os.path.lexists(temp):
        os.unlink(temp)
    os.symlink(target, temp)
    os.replace(temp, link)
    log.action("linked {} -> {}".format(link, target))
    return True


def ensure_executable(path: str, log: Log) -> bool:
    """Give ``path`` exec bits wherever it has read bits; whether it changed."""
    mode = os.stat(path).st_mode & 0o7777
    wanted = mode | ((mode & 0o444) >> 2)
    if wanted == mode:
        return False
    os.chmod(path, wanted)
    log.action("made {} executable".format(path))
    return True


def _write_text(path: str, text: str) -> None:
    temp = "{}.{}.venvstacks-tmp".format(path, os.getpid())
    with open(temp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.replace(temp, path)


def _cfg_key(line: str) -> Optional[str]:
    if "=" not in line:
        return None
    return line.split("=", 1)[0].strip().lower()


def rewrite_pyvenv_cfg(
    layer: str, config: LayerConfig, home: Optional[str], log: Log
) -> bool:
    """Drop any ``home`` key of ``pyvenv.cfg`` (or set it to ``home``); whether it changed.

    The other keys are kept as they are. A missing file is created.
    """
    path = os.path.join(layer, "pyvenv.cfg")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = None
    if text is None:
        lines = [
            "include-system-site-packages = false",
            "version = {}".format(config["py_version"]),
        ]
    else:
        lines = [line for line in text.splitlines() if _cfg_key(line) != "home"]
    if home is not None:
        lines.insert(0, "home = {}".format(home))
    new_text = "\n".join(lines) + "\n"
    if new_text == text:
        return False
    _write_text(path, new_text)
    log.action("wrote {}".format(path))
    return True


def _base_interpreter(layer: str, config: LayerConfig) -> str:
    return os.path.normpath(os.path.join(layer, _local(config["base_python"])))


def fix_runtime(layer: str, config: LayerConfig, log: Log) -> None:
    """Make sure a runtime layer's interpreter and its aliases are in place."""
    python = os.path.join(layer, _local(config["python"]))
    if not os.path.isfile(python):
        raise PostinstallError("the runtime interpreter {} is missing".format(python))
    if os.name == "nt":
        return
    ensure_executable(python, log)
    bin_dir, name = os.path.split(python)
    for alias in ("python3", "python"):
        if alias != name:
            ensure_symlink(os.path.join(bin_dir, alias), name, log)


def fix_layered(layer: str, config: LayerConfig, log: Log) -> None:
    """Point a layered environment at its runtime, without any absolute path."""
    if os.name == "nt":
        home = os.path.dirname(_base_interpreter(layer, config))
        rewrite_pyvenv_cfg(layer, config, home, log)
        return
    bin_dir = os.path.join(layer, "bin")
    if not os.path.isdir(bin_dir):
        os.makedirs(bin_dir)
        log.action("created {}".format(bin_dir))
    interpreter = "python" + python_minor(config)
    ensure_symlink(os.path.join(bin_dir, interpreter), "../" + config["base_python"], log)
    for alias in ("python3", "python"):
        ensure_symlink(os.path.join(bin_dir, alias), interpreter, log)
    rewrite_pyvenv_cfg(layer, config, None, log)


def fix_dynlib_links(layer: str, config: LayerConfig, log: Log) -> None:
    """Make the dynlib folder hold exactly the configured relative symlinks."""
    links = config.get("dynlib_links") or {}
    if os.name == "nt" or not isinstance(links, dict):
        return
    folders = set()
    for link, target in sorted(links.items()):
        path = os.path.join(layer, _local(link))
        folder = os.path.dirname(path)
        folders.add(folder)
        if not os.path.isdir(folder):
            os.makedirs(folder)
            log.action("created {}".format(folder))
        ensure_symlink(path, target, log)
    wanted = {os.path.normpath(os.path.join(layer, _local(link))) for link in links}
    for folder in sorted(folders):
        for name in sorted(os.listdir(folder)):
            path = os.path.normpath(os.path.join(folder, name))
            if path not in wanted and os.path.islink(path):
                os.unlink(path)
                log.action("removed stale link {}".format(path))


def _folder_of(relative: str) -> str:
    """The layer folder a path relative to this layer's folder lies in."""
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if parts and parts[0] == ".." and len(parts) > 1 and parts[1] != "..":
        return parts[1]
    return relative


def missing_lower_layers(layer: str, config: LayerConfig) -> List[str]:
    """Folder names of the lower layers (and runtime) that are not deployed."""
    missing: List[str] = []
    wanted = list(config.get("pylib_dirs") or [])
    wanted.extend(config.get("dynlib_dirs") or [])
    if not is_runtime_layer(config):
        wanted.append(config["base_python"])
    for relative in wanted:
        if not os.path.exists(os.path.normpath(os.path.join(layer, _local(relative)))):
            folder = _folder_of(relative)
            if folder not in missing:
                missing.append(folder)
    return missing


def check_python(layer: str, config: LayerConfig) -> Optional[str]:
    """Run the layer's interpreter; ``None`` when it works, else why not (one line)."""
    python = os.path.join(layer, _local(config["python"]))
    command = [python, "-I", "-B", "-c", "import sys"]
    try:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=CHECK_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return "{} cannot run: {}".format(python, exc)
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else "exit status {}".format(result.returncode)
        return "{} does not work: {}".format(python, detail)
    return None


def postinstall(layer: str, verbose: bool = False, quiet: bool = False) -> int:
    """Finish deploying the layer in folder ``layer``; the exit status."""
    log = Log(verbose=verbose, quiet=quiet)
    try:
        config = load_config(layer)
        if is_runtime_layer(config):
            fix_runtime(layer, config, log)
        else:
            fix_layered(layer, config, log)
            fix_dynlib_links(layer, config, log)
        missing = missing_lower_layers(layer, config)
        if missing:
            log.warning(
                "{}: lower layer folders not found beside it: {} (deploy them "
                "next to this layer)".format(os.path.basename(layer), ", ".join(missing))
            )
        runtime_missing = not is_runtime_layer(config) and not os.path.exists(
            _base_interpreter(layer, config)
        )
        if runtime_missing:
            log.warning(
                "{}: not checking its Python until its runtime is deployed".format(
                    os.path.basename(layer)
                )
            )
            return 0
        problem = check_python(layer, config)
        if problem is not None:
            raise PostinstallError(problem)
    except (PostinstallError, OSError) as exc:
        _emit(sys.stderr, "error: venvstacks postinstall failed: {}".format(exc))
        return 1
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="postinstall.py", description="Finish deploying this venvstacks layer."
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", action="store_true", help="report each change")
    group.add_argument("-q", "--quiet", action="store_true", help="do not print warnings")
    args = parser.parse_args(argv)
    return postinstall(layer_dir(), verbose=args.verbose, quiet=args.quiet)


if __name__ == "__main__":
    sys.exit(main())
