"""The one parser of runtime strings: ``cpython@3.11`` and ``cpython@3.11.7``.

Specs ask for a runtime with such a string (``python_implementation``); locks and
published metadata record the exact one they got. Every part of venvstacks that
needs the implementation, the full version or the ``X.Y`` part of one goes through
:class:`RuntimeVersion` (or :func:`minor_version` for a bare ``X.Y.Z``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from venvstacks.spec.fields import did_you_mean

#: Python implementations venvstacks can build runtime layers from.
SUPPORTED_IMPLEMENTATIONS = ("cpython",)

#: ``3.X`` or ``3.X.Y`` (no leading zeros; generous upper bounds).
_VERSION_RE = re.compile(r"3\.(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,3}))?")


class RuntimeVersionError(ValueError):
    """A runtime string that cannot be used; ``message`` and ``hint`` are for people."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def minor_version(version: str) -> str:
    """``X.Y`` of an ``X.Y`` or ``X.Y.Z`` version string."""
    return ".".join(version.split(".")[:2])


@dataclass(frozen=True)
class RuntimeVersion:
    """A Python implementation and version: requested (``X.Y`` or ``X.Y.Z``) or exact."""

    implementation: str
    version: str

    @classmethod
    def parse(
        cls, text: str, *, label: str = "python_implementation", strict: bool = True
    ) -> RuntimeVersion:
        """Parse ``implementation@X.Y[.Z]``; ``label`` names the value in errors.

        Raises :class:`RuntimeVersionError` for anything else (a missing ``@``, an
        unsupported implementation, a Python older than 3.9 or not a version at all).
        ``strict=False`` (for versions recorded in locks, which a runtime provider
        chose) only requires the ``@``.
        """
        implementation, at, version = text.partition("@")
        implementation = implementation.strip().lower()
        version = version.strip()
        if not at:
            raise RuntimeVersionError(
                f"{label} {text!r} does not name an implementation and version",
                "Write it as 'cpython@3.12' or 'cpython@3.12.7'.",
            )
        if not strict:
            return cls(implementation, version)
        if implementation not in SUPPORTED_IMPLEMENTATIONS:
            raise RuntimeVersionError(
                f"unsupported Python implementation {implementation!r}"
                f"{did_you_mean(implementation, SUPPORTED_IMPLEMENTATIONS)}",
                f"Supported: {', '.join(SUPPORTED_IMPLEMENTATIONS)}.",
            )
        match = _VERSION_RE.fullmatch(version)
        if not match or int(match[1]) < 9:
            raise RuntimeVersionError(
                f"{version!r} is not a supported Python version",
                "Use 3.X or 3.X.Y with X at least 9 (for example 'cpython@3.12').",
            )
        return cls(implementation, version)

    @property
    def exact(self) -> bool:
        """True when a full ``X.Y.Z`` version is given."""
        return self.version.count(".") >= 2

    @property
    def minor(self) -> str:
        """The ``X.Y`` part of the version."""
        return minor_version(self.version)

    def matches(self, version: str) -> bool:
        """Whether an available ``X.Y.Z`` version satisfies this (request)."""
        if self.exact:
            return version == self.version
        return minor_version(version) == self.minor

    def __str__(self) -> str:
        return f"{self.implementation}@{self.version}"
