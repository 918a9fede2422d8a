"""The one error tree of venvstacks.

Every failure a user can cause or fix is a :class:`VenvStacksError`. Each carries the
context needed to print one clear paragraph: the layer, the spec field (as a TOML key
path), and for plugin failures the plugin and hook. Front doors (CLI, pytest plugin) map
the classes to exit codes or test outcomes; the engine only raises them.
"""

from __future__ import annotations

from collections.abc import Sequence


class VenvStacksError(Exception):
    """Base class for every error venvstacks reports to its users."""

    #: Short category name shown by front doors ("spec error", "lock error", ...).
    category = "error"

    def __init__(
        self,
        message: str,
        *,
        layer: str | None = None,
        field: str | None = None,
        plugin: str | None = None,
        hook: str | None = None,
        hint: str | None = None,
        details: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.layer = layer
        self.field = field
        self.plugin = plugin
        self.hook = hook
        self.hint = hint
        self.details = tuple(details)

    def where(self) -> str:
        """Where the problem is, e.g. ``layer 'framework-x', key frameworks[0].runtime``."""
        parts: list[str] = []
        if self.layer:
            parts.append(f"layer {self.layer!r}")
        if self.field:
            parts.append(f"key {self.field}")
        if self.plugin:
            parts.append(f"plugin {self.plugin!r}")
        if self.hook:
            parts.append(f"hook {self.hook}")
        return ", ".join(parts)

    def paragraph(self) -> str:
        """The whole error as one paragraph of plain text (no trailing newline)."""
        where = self.where()
        text = f"{self.category}: {self.message}"
        if where:
            text = f"{self.category} ({where}): {self.message}"
        if self.hint:
            separator = " " if text.rstrip().endswith((".", "!", "?", ":", ")")) else ". "
            text = text.rstrip() + separator + self.hint
        return text

    def __str__(self) -> str:
        return self.paragraph()


class SpecError(VenvStacksError):
    """The stack specification (``venvstacks.toml`` and its tool config) is invalid."""

    category = "spec error"


class LockError(VenvStacksError):
    """A layer could not be locked, or its lock is missing or stale."""

    category = "lock error"


class RuntimeNotFoundError(VenvStacksError):
    """No Python installation or download satisfies a runtime layer's request."""

    category = "runtime error"


class BuildError(VenvStacksError):
    """A layer environment could not be created or installed."""

    category = "build error"


class ArchiveError(VenvStacksError):
    """A layer could not be staged, exported or archived."""

    category = "archive error"


class HookError(VenvStacksError):
    """A plugin hook implementation raised an exception."""

    category = "plugin error"


class DeployError(VenvStacksError):
    """A published or exported layer could not be deployed."""

    category = "deploy error"


class UsageError(VenvStacksError):
    """The engine was asked for something contradictory (bad option combination)."""

    category = "usage error"


class BusyError(VenvStacksError):
    """Another venvstacks command holds the folder this one needs (``--no-wait``)."""

    category = "busy"


class FileSystemError(VenvStacksError):
    """A file or folder could not be read, written or created.

    The message names the path and what was being done; the OS's reason follows.
    """

    category = "file system error"

    @classmethod
    def from_os_error(cls, exc: OSError, action: str) -> FileSystemError:
        """The error for ``exc`` raised while doing ``action`` ("write the archive")."""
        reason = exc.strerror or str(exc) or type(exc).__name__
        path = exc.filename
        where = f" {str(path)!r}" if path is not None else ""
        other = f" (and {str(exc.filename2)!r})" if exc.filename2 is not None else ""
        return cls(f"cannot {action}:{where}{other}: {reason}")
