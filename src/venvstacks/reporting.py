"""How the engine tells its caller what is happening.

The engine never prints. It sends typed events to a :class:`Reporter`; the CLI renders
them with rich, the pytest plugin records them, a library user may ignore them.
Reporters may be called from worker threads: implementations must be thread safe.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeAlias

Outcome: TypeAlias = Literal["done", "unchanged", "skipped", "failed"]
Level: TypeAlias = Literal["debug", "info", "warning"]


@dataclass(frozen=True)
class StepStarted:
    """A step (``lock``, ``build``, ``publish``, ...) started for one layer."""

    step: str
    layer: str
    description: str = ""


@dataclass(frozen=True)
class StepFinished:
    """A step finished for one layer; ``outcome`` says whether work was done."""

    step: str
    layer: str
    outcome: Outcome
    seconds: float
    detail: str = ""


@dataclass(frozen=True)
class Output:
    """One line of output from a subprocess run on behalf of a layer."""

    layer: str
    line: str


@dataclass(frozen=True)
class Note:
    """A free-form message; ``layer`` is empty when it concerns the whole stack."""

    level: Level
    text: str
    layer: str = ""


@dataclass(frozen=True)
class DataProgress:
    """Bytes of a layer's data processed so far (archiving), out of ``total``."""

    step: str
    layer: str
    done: int
    total: int


@dataclass(frozen=True)
class PlanReady:
    """The engine decided which layers a command will touch, in order."""

    step: str
    layers: tuple[str, ...]


Event: TypeAlias = StepStarted | StepFinished | Output | Note | PlanReady | DataProgress


class Reporter(Protocol):
    """Receives engine events. Must not raise."""

    def report(self, event: Event) -> None:
        """Handle one event."""


class NullReporter:
    """Discards every event."""

    def report(self, event: Event) -> None:
        """Ignore the event."""


@dataclass
class RecordingReporter:
    """Keeps every event in order, for tests and for later rendering."""

    events: list[Event] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def report(self, event: Event) -> None:
        """Append the event."""
        with self._lock:
            self.events.append(event)

    def finished(self, step: str) -> dict[str, Outcome]:
        """Outcome per layer for one step name."""
        return {
            e.layer: e.outcome
            for e in self.events
            if isinstance(e, StepFinished) and e.step == step
        }

    def notes(self, level: Level | None = None) -> list[str]:
        """Texts of the recorded notes, optionally of one level only."""
        return [
            e.text
            for e in self.events
            if isinstance(e, Note) and (level is None or e.level == level)
        ]
