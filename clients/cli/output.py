"""How `hubctl` prints: `show` gives every command's answer as JSON for scripts (--json)
or as a table or a few lines for people; the consoles and the one progress bar."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from schemas.common import format_timestamp

__all__ = [
    "Columns",
    "Human",
    "cell",
    "fields",
    "progress_bar",
    "show",
    "stderr",
    "stdout",
    "table",
]


def stdout() -> Console:
    """A console on stdout, made at use: it reads COLUMNS then, not at import."""
    return Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    """A console on stderr, made at use."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


# What people see: a line (rich markup) or a table, several printed one after another,
# or a function that prints (for answers that also say something on stderr).
Human = RenderableType | list[RenderableType] | Callable[[], None]


def show(answer: Any, as_json: bool, human: Human, *, json_lines: bool = False) -> None:
    """Print a command's answer: with --json `answer` (models, lists and dicts of them) as
    one indented document, or with `json_lines` one compact line per item; else `human`."""
    if as_json:
        if json_lines:
            for item in answer:  # ASCII-escaped, as `hubctl hash --json` always was
                print(json.dumps(_plain(item)))
        else:
            print(json.dumps(_plain(answer), indent=2, ensure_ascii=False))
    elif callable(human):
        human()
    else:
        for part in human if isinstance(human, list) else [human]:
            stdout().print(part)


def table(title: str, columns: list[str], rows: Iterable[list[Any]]) -> RenderableType:
    """A table of rows under a title, or the line `<title>: none` when there are none."""
    found = Table(title=title, title_justify="left")
    for position, column in enumerate(columns):
        # The first column is an id or a name: never broken, so it can be copied.
        found.add_column(column, overflow="fold", no_wrap=position == 0)
    for row in rows:
        found.add_row(*[cell(v) for v in row])
    return found if found.row_count else f"{title}: none"


@dataclass(frozen=True)
class Columns:
    """How a list of items prints for people: a titled table, a row an item."""

    title: str
    names: list[str]
    row: Callable[[Any], list[Any]]

    def of(self, items: Iterable[Any]) -> RenderableType:
        return table(self.title, self.names, map(self.row, items))


def fields(title: str, model: BaseModel) -> RenderableType:
    """One model as a table of its fields and their values."""
    return table(
        title, ["field", "value"], [[k, getattr(model, k)] for k in type(model).model_fields]
    )


def cell(value: Any) -> str:
    """A value as a table shows it: `-` for nothing, timestamps to the second."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return format_timestamp(value.replace(microsecond=0))
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value) or "-"
    if isinstance(value, BaseModel):
        return json.dumps(value.model_dump(mode="json", exclude_none=True))
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def progress_bar(hidden: bool) -> Progress:
    """The one progress bar of hubctl's long commands, on stderr; shown only on a terminal
    and unless `hidden` (--no-progress, or --json for scripts)."""
    console = stderr()
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=hidden or not console.is_terminal,
    )
