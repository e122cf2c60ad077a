"""How the long commands show their progress: a bar on a terminal (with the optional
``rich``, ``pip install "django-wechat-oa[progress]"``), a plain line every 10% or 10
seconds otherwise (logs, cron). ``wechat_sync_users`` and ``wechat_broadcast --wait`` use
it."""

from __future__ import annotations

import time
from typing import IO, Any, cast

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

__all__ = ["BarReporter", "LineReporter", "Reporter", "reporter"]


def reporter(command: BaseCommand, label: str, line: str) -> Reporter:
    """A bar labelled ``label`` when the command writes to a terminal and rich is
    installed, else lines; ``line`` is the plain line, with ``%(done)d``, ``%(total)d``
    and ``%(rate)f``."""
    if command.stdout.isatty():
        try:
            return BarReporter(command, label)
        except ImportError:  # rich is optional
            pass
    return LineReporter(command, line)


class Reporter:
    """Shows how far some work has gone: ``done`` of ``total`` at ``rate`` a second."""

    def __init__(self, command: BaseCommand) -> None:
        self.command = command

    def say(self, text: str) -> None:
        """A line of its own, above the bar."""
        self.command.stdout.write(text)

    def show(self, done: int, total: int, rate: float) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """The end of the output."""


class LineReporter(Reporter):
    """A plain line every 10% of the total or every 10 seconds, whichever comes first."""

    INTERVAL = 10.0

    def __init__(self, command: BaseCommand, line: str) -> None:
        super().__init__(command)
        self.line = line
        self.last_time = time.monotonic()
        self.last_step = -1

    def show(self, done: int, total: int, rate: float) -> None:
        step = done * 10 // total if total else 0
        now = time.monotonic()
        if step == self.last_step and now - self.last_time < self.INTERVAL:
            return
        self.last_step, self.last_time = step, now
        self.say(self.line % {"done": done, "total": total, "rate": rate})


class BarReporter(Reporter):
    """rich's progress bar: done of the total, the rate, the time left."""

    def __init__(self, command: BaseCommand, label: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        super().__init__(command)
        out: Any = command.stdout
        self.bar = Progress(
            # A column's text goes through str.format and then rich's markup: keep a
            # translated label's braces and brackets as they are.
            TextColumn(label.replace("{", "{{").replace("}", "}}"), markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}", markup=False),
            TimeRemainingColumn(),
            console=Console(file=cast("IO[str]", out._out)),
        )
        self.task = self.bar.add_task("", total=None, rate="")
        self.bar.start()

    def say(self, text: str) -> None:
        self.bar.console.print(text, markup=False)

    def show(self, done: int, total: int, rate: float) -> None:
        self.bar.update(
            self.task,
            completed=done,
            total=total or None,
            rate=_("%(rate).0f/s") % {"rate": rate},
        )

    def close(self) -> None:
        self.bar.stop()
