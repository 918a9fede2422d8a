"""The rich-click command line: parse options, call the engine, render results."""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    """Console-script entry point.

    The command group is imported here, not at module import, so that an interrupt
    while it loads still ends with exit status 130 and one line, not a traceback.
    Each command's module is imported only when that command runs (``LazyGroup``).
    """
    try:
        from venvstacks.cli.app import cli as command_group
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    command_group(prog_name="venvstacks")


def __getattr__(name: str) -> Any:
    if name == "cli":  # the click group, with every command registered
        from venvstacks.cli import build, check, lock, publish, show  # noqa: F401
        from venvstacks.cli.app import cli

        return cli
    raise AttributeError(name)


__all__ = ["cli", "main"]
