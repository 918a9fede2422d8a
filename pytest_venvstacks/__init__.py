"""pytest plugin and test kit for venvstacks stacks.

Installed with venvstacks, it registers as the ``venvstacks`` pytest plugin. Use the
``stack_project`` and ``venvstacks_stacks`` fixtures to lock, build and run stacks in
temporary folders, or :class:`StackProject` directly.
"""

from __future__ import annotations

from pytest_venvstacks.project import StackProject

__all__ = ["StackProject"]
