"""The runnable blocks of the docs' pages, as the pages mark them.

A block runs when an RST comment ``.. snippet: ACTION [PATH]`` precedes its
``code-block`` directive: ``run`` (each ``$ `` line is a shell command run in the project
folder; the lines after it are in its output, ``...`` matching anything), ``background``
(the commands are servers, left running), ``write PATH`` (the block becomes that file) or
``append PATH`` (the block goes at its end). The comment is invisible on the built
page, so the page shows exactly what runs.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"

_MARK = re.compile(r"^\.\. snippet: (run|background|write|append)(?: (\S+))?\s*$")


@dataclass(frozen=True)
class Snippet:
    """One marked block of a page."""

    page: str
    line: int
    action: str
    path: str | None
    text: str

    @property
    def commands(self) -> list[str]:
        """A command block's commands (its ``$ `` lines; other lines are output)."""
        return [command for command, _output in self.steps]

    @property
    def steps(self) -> list[tuple[str, list[re.Pattern[str]]]]:
        """Each command, with the patterns of the output lines the page shows after it."""
        steps: list[tuple[str, list[re.Pattern[str]]]] = []
        for line in self.text.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif line.strip() and steps:
                parts = [re.escape(part) for part in line.strip().split("...")]
                steps[-1][1].append(re.compile(".*".join(parts)))
        return steps


def snippets(page: str) -> list[Snippet]:
    """The marked blocks of ``docs/<page>.rst``, in order."""
    lines = (DOCS / f"{page}.rst").read_text("utf-8").splitlines()
    found = []
    for number, line in enumerate(lines):
        mark = _MARK.match(line)
        if not mark:
            continue
        start = next(n for n in range(number + 1, len(lines)) if lines[n].strip())
        if not lines[start].startswith(".. code-block::"):
            raise ValueError(f"{page}.rst:{number + 1}: a snippet mark without a code-block")
        body = start + 1
        while body < len(lines) and lines[body].strip().startswith(":"):  # options
            body += 1
        end = body
        while end < len(lines) and (not lines[end].strip() or lines[end].startswith(" ")):
            end += 1
        text = textwrap.dedent("\n".join(lines[body:end])).strip("\n") + "\n"
        action, path = mark[1], mark[2]
        if (action in ("run", "background")) != (path is None):
            raise ValueError(f"{page}.rst:{number + 1}: commands take no path, files one")
        found.append(Snippet(page, number + 1, action, path, text))
    return found
