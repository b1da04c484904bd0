"""Subscriber lists as CSV: reading an import (bad rows reported by line) and writing an
export that an import reads back, suppressions included."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from newsletter.html_text import controls_to_spaces
from newsletter.store.subscribers import (
    NewSubscriber,
    SubscriberRecord,
    SubscriberSource,
    SubscriberState,
)
from newsletter.subscribers.address import Address, InvalidAddress, normalize_address
from newsletter.subscribers.preferences import FREQUENCIES, BadVariant, Frequency, Variant
from newsletter.subscribers.states import STATES

EXPORT_COLUMNS = (
    "email",
    "name",
    "state",
    "source",
    "created_at",
    "confirmed_at",
    "unsubscribed_at",
    "bounced_at",
    "choice",  # the preferences page's choices (subscribers.preferences), for an import
    "frequency",
    "paused_until",
)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
NAME_LIMIT = 200


@dataclass(frozen=True)
class ImportRow:
    line: int
    address: Address
    name: str | None
    state: SubscriberState  # active unless the file says otherwise (our own exports do)
    choice: str = ""  # sections and format, as the preferences page saves them
    frequency: Frequency = "weekly"
    paused_until: datetime | None = None

    def subscriber(self, state: SubscriberState) -> NewSubscriber:
        """The row as the import adds it: a new subscriber in the state decided for it."""
        return NewSubscriber(
            email=self.address.email,
            email_key=self.address.key,
            name=self.name,
            state=state,
            source=SubscriberSource.IMPORT,
            choice=self.choice,
            frequency=self.frequency,
            paused_until=self.paused_until,
        )


@dataclass(frozen=True)
class BadRow:
    line: int
    problem: str


def read_rows(lines: Iterable[str]) -> Iterator[ImportRow | BadRow]:
    """Rows of ``email[,name]``, or of any columns under a header naming ``email`` (and
    optionally ``name`` and ``state``). Blank lines are ignored; a row of commas only is
    reported."""
    reader = csv.reader(lines)
    columns: dict[str, int] | None = None
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            if len(cells) > 1:  # "," or ",,": a row meant to say something, not a blank line
                yield BadRow(reader.line_num, "an empty row (only commas)")
            continue
        if columns is None:
            columns = _header(cells)
            if columns is not None:
                continue
            columns = {"email": 0, "name": 1}
        yield _row(reader.line_num, cells, columns)


def write_rows(records: Iterable[SubscriberRecord], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for record in records:
        writer.writerow([_cell(getattr(record, column)) for column in EXPORT_COLUMNS])
        count += 1
    return count


def clean_name(name: str | None) -> str | None:
    text = " ".join(controls_to_spaces(name or "").split())[:NAME_LIMIT]
    return text or None


def _header(cells: list[str]) -> dict[str, int] | None:
    names = [cell.strip().lower() for cell in cells]
    if "email" not in names:
        return None
    known = ("email", "name", "state", "choice", "frequency", "paused_until")
    return {name: names.index(name) for name in known if name in names}


def _row(line: int, cells: list[str], columns: dict[str, int]) -> ImportRow | BadRow:
    def cell(column: str) -> str:
        index = columns.get(column)
        return _uncell(cells[index]).strip() if index is not None and index < len(cells) else ""

    email = cell("email")
    if not email:
        return BadRow(line, "no email address")
    try:
        address = normalize_address(email)
    except InvalidAddress as exc:
        return BadRow(line, str(exc))
    state = cell("state").lower() or SubscriberState.ACTIVE
    if state not in STATES:
        return BadRow(line, f"unknown state '{state[:20]}'; write one of {', '.join(STATES)}")
    chosen = _choice(cell("choice"), cell("frequency").lower(), cell("paused_until"))
    if isinstance(chosen, str):
        return BadRow(line, chosen)
    return ImportRow(line, address, clean_name(cell("name")), SubscriberState(state), *chosen)


def _choice(
    choice: str, frequency: str, paused_until: str
) -> tuple[str, Frequency, datetime | None] | str:
    """The preferences columns of a row, checked; a string: what is wrong."""
    try:
        variant = Variant.decode(choice)
    except BadVariant:
        return f"choice '{choice[:40]}' is not one this program wrote"
    if variant.since is not None:
        return f"choice '{choice[:40]}' names a week; leave it out"
    if frequency and frequency not in FREQUENCIES:
        return f"unknown frequency '{frequency[:20]}'; write weekly or monthly"
    try:
        until = (
            datetime.strptime(paused_until, TIME_FORMAT).replace(tzinfo=UTC)
            if paused_until
            else None
        )
    except ValueError:
        return f"paused_until '{paused_until[:30]}' is not a time like 2027-01-31T07:00:00Z"
    return variant.encode(), ("monthly" if frequency == "monthly" else "weekly"), until


# A spreadsheet runs a cell starting with one of these as a formula; the address
# =cmd|'/Ccalc'!A0@example.com is valid and can come from the public form (OWASP: CSV
# injection). Such a cell is written with a leading apostrophe, which spreadsheets show
# as text, and which our own import takes off again.
# A cell that starts with the apostrophe itself is escaped too, or '=x@example.org would
# come back as =x@example.org.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPED_STARTS = (*FORMULA_STARTS, "'")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    text = str(value)
    return "'" + text if text.startswith(ESCAPED_STARTS) else text


def _uncell(text: str) -> str:
    """What _cell escaped, as it was."""
    return text[1:] if text.startswith("'") and text[1:].startswith(ESCAPED_STARTS) else text
