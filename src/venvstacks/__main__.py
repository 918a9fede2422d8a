"""``python -m venvstacks``."""

from __future__ import annotations

from venvstacks.cli import main

main()
