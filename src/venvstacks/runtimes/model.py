"""Data shared by runtime discovery, download and adoption."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

from venvstacks.spec.runtime_version import RuntimeVersion, minor_version

#: Where runtime layers come from (``--runtime-source``).
RuntimeSource: TypeAlias = Literal["auto", "local", "download"]
RUNTIME_SOURCES: tuple[RuntimeSource, ...] = ("auto", "local", "download")


@dataclass(frozen=True)
class InstalledPython:
    """A Python installation found on this machine (never a virtual environment).

    :ivar implementation: ``"cpython"``.
    :ivar version: the full ``X.Y.Z`` version.
    :ivar prefix: the installation prefix (``sys.base_prefix``), symlinks resolved.
    :ivar executable: the real interpreter file inside the prefix.
    :ivar origin: where it was found: ``"pyenv"``, ``"path"`` or ``"uv"``.
    :ivar shared: whether it was built with ``--enable-shared`` (uses libpython.so).
    :ivar freethreaded: whether it is a free-threaded (``t``) build.
    """

    implementation: str
    version: str
    prefix: Path
    executable: Path
    origin: str
    shared: bool = False
    freethreaded: bool = False

    @property
    def minor(self) -> str:
        """The ``X.Y`` version."""
        return minor_version(self.version)

    def describe(self) -> str:
        """One-line description, e.g. ``cpython@3.11.7 (pyenv, /root/.pyenv/...)``."""
        return f"{self.implementation}@{self.version} ({self.origin}, {self.prefix})"


@dataclass(frozen=True)
class ResolvedRuntime:
    """The exact runtime a runtime layer is locked with.

    :ivar implementation: ``"cpython"``.
    :ivar version: the full ``X.Y.Z`` version.
    :ivar source: which kind of provider chose it: ``"local"``, ``"download"``, or a
        name of a third-party provider's choosing.
    :ivar origin: where it comes from, for people: a prefix path or a download name.
    """

    implementation: str
    version: str
    source: str
    origin: str

    @classmethod
    def from_lock(cls, python_implementation: str, source: str) -> ResolvedRuntime:
        """The runtime a lock recorded (``cpython@X.Y.Z`` and its provider's source)."""
        parsed = RuntimeVersion.parse(python_implementation, strict=False)
        return cls(parsed.implementation, parsed.version, source, "")

    @property
    def runtime_version(self) -> RuntimeVersion:
        """Implementation and exact version as a :class:`RuntimeVersion`."""
        return RuntimeVersion(self.implementation, self.version)

    @property
    def minor(self) -> str:
        """The ``X.Y`` version."""
        return self.runtime_version.minor

    @property
    def implementation_name(self) -> str:
        """``cpython@X.Y.Z``, the value published as ``python_implementation``."""
        return str(self.runtime_version)


@dataclass(frozen=True)
class AdoptedRuntime:
    """What a runtime copy in the build folder looks like.

    Paths are relative to the runtime layer folder (POSIX separators).

    :ivar python: the interpreter, e.g. ``bin/python3.11``.
    :ivar site_packages: where packages installed into the runtime go.
    :ivar stdlib: the standard library folder, e.g. ``lib/python3.11``.
    :ivar version: the full ``X.Y.Z`` version of the copy.
    """

    python: str
    site_packages: str
    stdlib: str
    version: str
