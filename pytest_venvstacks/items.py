"""The test item of one check on one layer."""

from __future__ import annotations

import os

import pytest

from pytest_venvstacks.collect import LayerNode, StackFile, StackRun, failure_text


class CheckFailed(Exception):
    """A check reported a failure (carries its result)."""

    def __init__(self, paragraph: str, details: tuple[str, ...]) -> None:
        super().__init__(paragraph)
        self.paragraph = paragraph
        self.details = details


class CheckItem(pytest.Item):
    """``<spec>::<layer>::<check>``: passes, fails or skips with the check's result."""

    @property
    def layer_name(self) -> str:
        """The layer's env name."""
        return self.parent.name if self.parent is not None else ""

    @property
    def check(self) -> str:
        """The check's name."""
        return self.name

    @property
    def run(self) -> StackRun:
        """The stack run this item belongs to."""
        node = self.getparent(StackFile)
        assert node is not None
        return node.run

    def runtest(self) -> None:
        """Look up (or first produce) this check's result."""
        report = self.run.report(self.session)
        result = report.result(self.layer_name, self.check)
        if result is None:
            raise CheckFailed(f"{self.check} on {self.layer_name}: no result", ())
        if result.details:
            self.add_report_section("call", "venvstacks", "\n".join(result.details))
        if result.status == "skipped":
            pytest.skip(result.message)
        if result.status == "failed":
            paragraph = (
                f"venvstacks check '{self.check}' failed on layer {self.layer_name}: "
                f"{result.message}"
            )
            raise CheckFailed(paragraph, result.details)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: object = None
    ) -> str:
        """One paragraph (plus what the check looked at with ``-v``)."""
        if isinstance(excinfo.value, CheckFailed):
            text = excinfo.value.paragraph
            if self.config.get_verbosity() > 0 and excinfo.value.details:
                text += "\n\nlooked at:\n" + "\n".join(
                    f"  {line}" for line in excinfo.value.details
                )
            return text
        return failure_text(excinfo) or str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        """Where the item is: the spec file, no line, ``layer::check``."""
        return self.path, None, f"{self.layer_name}::{self.check}"


__all__ = ["CheckFailed", "CheckItem", "LayerNode"]
