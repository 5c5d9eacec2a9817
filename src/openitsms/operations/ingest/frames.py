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
``priority_history`` a list of ``{at, priority}`` and ``notes`` a list of strings; and
``history_json``/``priority_history_json``, the histories as the record stores them (JSON
text), filled in by the columnar reader and null otherwise (see :func:`history_json`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from json.encoder import encode_basestring_ascii
from typing import Any, Final, get_type_hints

import polars as pl

from .records import NormalisedRecord

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
            # The histories as stored (JSON text), when the reader wrote them (see
            # history_json); null otherwise.
            schema["history_json"] = pl.String()
            schema["priority_history_json"] = pl.String()
        else:
            schema[item.name] = _dtype(hints[item.name])
    return schema


SCHEMA: Final[dict[str, pl.DataType]] = _schema()
"""Column name -> Polars type of a record frame, in :class:`NormalisedRecord`'s field order."""

COLUMNS: Final[tuple[str, ...]] = tuple(SCHEMA)
_TEXTS: Final = ("history_json", "priority_history_json")


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def frame_from_records(records: Sequence[NormalisedRecord]) -> pl.DataFrame:
    """The frame of ``records`` (one row each, in their order)."""
    data: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    plain = [
        name for name in COLUMNS if name not in ("history", "priority_history", "notes", *_TEXTS)
    ]
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
    data["history_json"] = data["priority_history_json"] = [None] * len(records)
    return pl.DataFrame(data, schema=SCHEMA)


def concat(frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
    items = [frame for frame in frames if frame.height]
    if not items:
        return empty_frame()
    return pl.concat([frame.select(COLUMNS) for frame in items], how="vertical")


# -- histories as the JSON text the record stores ---------------------------------------------


def json_strings(series: pl.Series) -> pl.Series:
    """JSON literals (ASCII, as ``json.dumps`` writes them) of a string column, ``null`` for
    null, encoding each distinct value once."""
    distinct = series.drop_nulls().unique()
    table = dict(zip(distinct.to_list(), map(encode_basestring_ascii, distinct), strict=True))
    return series.replace_strict(table, default="null", return_dtype=pl.String)


def epoch_seconds(value: pl.Expr) -> pl.Expr:
    """Whole epoch seconds of an instant, as ``int(datetime.timestamp())`` gives them."""
    micros = value.dt.epoch("us")
    return pl.when(micros >= 0).then(micros // 1_000_000).otherwise(-((-micros) // 1_000_000))


def status_entry_texts(entries: pl.DataFrame) -> pl.Series:
    """``[epoch seconds, status, group, source status]`` per status entry (columns ``at``,
    ``status``, ``group``, ``source_status``), in ``json.dumps``'s layout."""
    return entries.select(
        pl.format(
            "[{}, {}, {}, {}]",
            epoch_seconds(pl.col("at")),
            json_strings(entries["status"]),
            json_strings(entries["group"]),
            json_strings(entries["source_status"]),
        )
    ).to_series()


def priority_entry_texts(changes: pl.DataFrame) -> pl.Series:
    """``[epoch seconds, priority]`` per priority change (columns ``at``, ``priority``)."""
    return changes.select(
        pl.format("[{}, {}]", epoch_seconds(pl.col("at")), json_strings(changes["priority"]))
    ).to_series()


def joined_texts(texts: pl.Expr) -> pl.Expr:
    """The JSON list of entry texts (an aggregation: use within ``group_by().agg``)."""
    return pl.format("[{}]", texts.str.join(", "))


def history_json(frame: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """The ``history`` and ``priority_history`` columns as the JSON texts the record model
    stores: ``[[epoch seconds, status, group, source status], ...]`` and ``[[epoch seconds,
    priority], ...]`` (Python's ``json.dumps`` layout, so that both databases and the model
    read the same thing). Where the frame carries them already (``history_json``,
    ``priority_history_json``: the columnar reader writes them), those are kept."""
    statuses, priorities = frame["history_json"], frame["priority_history_json"]
    missing = statuses.is_null() | priorities.is_null()
    if not missing.any():
        return statuses, priorities
    positions = missing.arg_true()
    part = frame.filter(missing)
    ticket = pl.int_range(pl.len(), dtype=pl.Int64).alias("ticket")
    entries = (
        part.select(ticket, "history")
        .explode("history")
        .filter(pl.col("history").is_not_null())
        .unnest("history")
    )
    entries = entries.with_columns(entry=status_entry_texts(entries))
    changes = (
        part.select(ticket, "priority_history")
        .explode("priority_history")
        .filter(pl.col("priority_history").is_not_null())
        .unnest("priority_history")
    )
    changes = changes.with_columns(entry=priority_entry_texts(changes))
    return (
        statuses.scatter(positions, _per_ticket(entries, part.height)),
        priorities.scatter(positions, _per_ticket(changes, part.height)),
    )


def _per_ticket(entries: pl.DataFrame, n: int) -> pl.Series:
    joined = entries.group_by("ticket", maintain_order=True).agg(
        joined_texts(pl.col("entry")).alias("json")
    )
    out = pl.DataFrame({"ticket": pl.int_range(n, dtype=pl.Int64, eager=True)}).join(
        joined, on="ticket", how="left", maintain_order="left"
    )
    return out["json"].fill_null("[]")
