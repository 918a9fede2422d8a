"""Rendering engine events and results with rich."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from venvstacks.reporting import (
    DataProgress,
    Event,
    Note,
    Output,
    PlanReady,
    StepFinished,
    StepStarted,
)

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

_OUTCOME_STYLE = {
    "done": ("green", "✓"),
    "unchanged": ("dim", "="),
    "skipped": ("dim", "-"),
    "failed": ("red", "✗"),
}
_VERB = {
    "lock": "Locking",
    "build": "Building",
    "publish": "Publishing",
    "export": "Exporting",
}


class RichReporter:
    """A thread-safe reporter drawing a progress bar and one line per finished layer.

    ``verbosity``: -1 quiet (errors only), 0 normal, 1 info notes, 2 subprocess output.
    """

    def __init__(self, console: Console, verbosity: int = 0) -> None:
        self.console = console
        self.verbosity = verbosity
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._active: dict[str, str] = {}
        self._data_task: TaskID | None = None
        self._data: dict[str, tuple[int, int]] = {}
        #: Lines printed besides "built" results: notes, warnings, uv output...
        #: (a build that printed any is not memoised as "nothing to do").
        self.remarks = 0

    def __enter__(self) -> RichReporter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None

    def _print(self, text: str, *, remark: bool = True) -> None:
        self.remarks += remark
        target = self._progress.console if self._progress is not None else self.console
        target.print(text, highlight=False, soft_wrap=True)

    def report(self, event: Event) -> None:
        """Render one event."""
        with self._lock:
            self._render(event)

    def _render(self, event: Event) -> None:
        if isinstance(event, PlanReady):
            self._stop()
            if self.verbosity >= 0 and self.console.is_terminal and event.layers:
                # Imported here: only a terminal shows progress (rich.progress
                # costs a noticeable part of a no-op command's time).
                from rich.progress import (
                    BarColumn,
                    Progress,
                    SpinnerColumn,
                    TextColumn,
                    TimeElapsedColumn,
                )

                self._progress = Progress(
                    SpinnerColumn(),
                    TextColumn("[bold]{task.description}"),
                    BarColumn(),
                    TextColumn("{task.fields[count]}"),
                    TimeElapsedColumn(),
                    console=self.console,
                    transient=True,
                )
                self._progress.start()
                verb = _VERB.get(event.step, event.step)
                self._task = self._progress.add_task(
                    verb, total=len(event.layers), count=f"0/{len(event.layers)}"
                )
                self._data_task = None
                self._data = {}
        elif isinstance(event, StepStarted):
            self._active[event.layer] = event.step
            self._update_description(event.step)
        elif isinstance(event, StepFinished):
            self._active.pop(event.layer, None)
            if self._progress is not None and self._task is not None:
                self._progress.advance(self._task)
                task = self._progress.tasks[self._task]
                self._progress.update(
                    self._task, count=f"{int(task.completed)}/{int(task.total or 0)}"
                )
            self._update_description(event.step)
            if self.verbosity >= 0 and (
                event.outcome != "unchanged" or self.verbosity >= 1
            ):
                style, mark = _OUTCOME_STYLE[event.outcome]
                detail = f" ({escape(event.detail)})" if event.detail else ""
                self._print(
                    f"[{style}]{mark} {event.step} {escape(event.layer)}{detail} "
                    f"[dim]{event.seconds:.1f}s[/][/]",
                    remark=event.outcome != "done",
                )
        elif isinstance(event, DataProgress):
            self._show_data(event)
        elif isinstance(event, Output):
            if self.verbosity >= 2:
                self._print(f"[dim]  {escape(event.layer)}: {escape(event.line)}[/]")
        elif isinstance(event, Note):
            if event.level == "warning" and self.verbosity >= 0:
                where = f"{event.layer}: " if event.layer else ""
                self._print(f"[yellow]warning: {escape(where + event.text)}[/]")
            elif event.level == "info" and self.verbosity >= 1:
                where = f"{event.layer}: " if event.layer else ""
                self._print(f"[dim]{escape(where + event.text)}[/]")
            elif event.level == "debug" and self.verbosity >= 2:
                self._print(f"[dim]{escape(event.text)}[/]")

    def _show_data(self, event: DataProgress) -> None:
        """A second bar for bytes compressed, over every layer being archived."""
        if self._progress is None:
            return
        self._data[event.layer] = (event.done, event.total)
        done = sum(d for d, _ in self._data.values())
        total = sum(t for _, t in self._data.values())
        count = f"{done / 1e6:.0f}/{total / 1e6:.0f} MB"
        if self._data_task is None:
            self._data_task = self._progress.add_task(
                "compressing", total=total, count=count
            )
        self._progress.update(self._data_task, completed=done, total=total, count=count)

    def _update_description(self, step: str) -> None:
        if self._progress is None or self._task is None:
            return
        verb = _VERB.get(step, step)
        names = ", ".join(sorted(self._active)) or "…"
        self._progress.update(self._task, description=f"{verb} {escape(names)}")
