"""The rich-click command line: parse options, call the engine, render results."""

from __future__ import annotations

from venvstacks.cli.app import cli  # commands are imported when used (LazyGroup)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="venvstacks")


__all__ = ["cli", "main"]
