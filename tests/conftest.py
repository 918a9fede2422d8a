"""Shared test configuration."""

from __future__ import annotations

# Real pytest runs in temporary folders, for the tests of the --venvstacks collector.
pytest_plugins = ["pytester"]
