"""Records as columns: a Polars frame with one row per :class:`NormalisedRecord`.

Imports store records in batches, and a batch is handled column by column (SLA clock,
stored values, fingerprints, prepared rows) rather than record by record: at a hundred
thousand records a second, a Python object per record and field is the whole budget. Both
readers produce these frames — the vectorised audit-log reader (:mod:`.fast`) directly, the
row-by-row reader (:mod:`.stream`) through :func:`frame_from_records` — so everything after
reading has one shape.

The frame's columns are the record's fields under the same names, with these types:
text and vocabulary values ``String``, instants ``Datetime("us", "UTC")``, counts ``Int64``,
flags ``Boolean``; ``history`` a list of ``{at, status, group, source_status}``,
``priority_history`` a list of ``{at, priority}`` and ``notes`` a list of strings.
:func:`records_from_frame` turns a frame back into records (for tests and explanations).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, Final, get_type_hints

import polars as pl

from .records import NormalisedRecord, PriorityEntry, StatusEntry

INSTANT: Final = pl.Datetime("us", "UTC")
HISTORY: Final = pl.List(
    pl.Struct({"at": INSTANT, "status": pl.String, "group": pl.String, "source_status": pl.String})
)
PRIORITY_HISTORY: Final = pl.List(pl.Struct({"at": INSTANT, "priority": pl.String}))


def _dtype(hint: Any) -> pl.DataType:
    text = str(hint)
    if "datetime" in text:
        return INSTANT
    if "bool" in text:
        return pl.Boolean()
    if text.startswith("int") or "int |" in text or text == "<class 'int'>":
        return pl.Int64()
    return pl.String()


def _schema() -> dict[str, pl.DataType]:
    hints = get_type_hints(NormalisedRecord)
    schema: dict[str, pl.DataType] = {}
    for item in fields(NormalisedRecord):
        if item.name == "history":
            schema[item.name] = HISTORY
        elif item.name == "priority_history":
            schema[item.name] = PRIORITY_HISTORY
        elif item.name == "notes":
            schema[item.name] = pl.List(pl.String)
        else:
            schema[item.name] = _dtype(hints[item.name])
    return schema


SCHEMA: Final[dict[str, pl.DataType]] = _schema()
"""Column name -> Polars type of a record frame, in :class:`NormalisedRecord`'s field order."""

COLUMNS: Final[tuple[str, ...]] = tuple(SCHEMA)


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def frame_from_records(records: Sequence[NormalisedRecord]) -> pl.DataFrame:
    """The frame of ``records`` (one row each, in their order)."""
    data: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    plain = [name for name in COLUMNS if name not in ("history", "priority_history", "notes")]
    for record in records:
        for name in plain:
            data[name].append(getattr(record, name))
        data["history"].append(
            [
                {"at": e.at, "status": e.status, "group": e.group, "source_status": e.source_status}
                for e in record.history
            ]
        )
        data["priority_history"].append(
            [{"at": e.at, "priority": e.priority} for e in record.priority_history]
        )
        data["notes"].append(list(record.notes))
    return pl.DataFrame(data, schema=SCHEMA)


def records_from_frame(frame: pl.DataFrame) -> list[NormalisedRecord]:
    """The records of a frame (histories without update numbers and rows, which a frame
    does not carry)."""
    records = []
    for row in frame.select(COLUMNS).iter_rows(named=True):
        row["history"] = tuple(
            StatusEntry(e["at"], e["status"], e["group"], e["source_status"])
            for e in row["history"]
        )
        row["priority_history"] = tuple(
            PriorityEntry(e["at"], e["priority"]) for e in row["priority_history"]
        )
        row["notes"] = tuple(row["notes"])
        records.append(NormalisedRecord(**row))
    return records


def concat(frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
    items = [frame for frame in frames if frame.height]
    if not items:
        return empty_frame()
    return pl.concat([frame.select(COLUMNS) for frame in items], how="vertical")


def as_datetime(value: datetime | None) -> datetime | None:
    return value
