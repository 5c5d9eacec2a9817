"""The vectorised reader of audit-log CSV exports: :func:`fast_frames`.

A ServiceNow audit-log export has one row per update, several per record; a million rows is
a normal year. :class:`~.stream.RecordStream` reads them row by row in Python — the reference
— and this module reads the same files column by column with Polars, giving the same records
as record frames (:mod:`.frames`). Tests compare the two on the shared sample and on
generated files full of the awkward cases (tests/operations/ingest/test_ingest_fast.py).

How it stays the same as the reference:

* **Cells** are read by the stream's own readers (text, counts, flags, value maps), once
  per distinct value of a column rather than once per cell. Timestamps are split into date
  and time of day as the reference splits them, and each distinct date and each distinct
  time is read by the stream's own parser; local times become UTC with the zone's offset
  where that offset is the same throughout the hour.
* **Records that need judgement** go to the reference, one record at a time
  (``RecordStream._audit_record``): updates not in order (copies of one update, times
  going backwards), a time in an hour where the zone's offset changes (daylight-saving gaps
  and folds), a time not in the plain ``date h:mm`` shape, a cell with characters other than
  printable ASCII in a timestamp. They are few; the rest is done in columns.
* **Anything that would be rejected** stops the fast reader (:class:`Unsuitable`): a cell
  that cannot be read, an empty required cell, an id that comes back after other ids, a row
  the CSV parser cannot split the way Python's ``csv`` module does. The caller then reads
  the whole file with the reference reader, which names every rejected row. The fast reader
  never reports rejections itself, so the messages are always the reference's.

When the file is not a UTF-8 CSV audit-log export read with contiguous grouping and a fixed
kind, :func:`fast_frames` returns ``None`` and the reference reader is used.

**Memory.** The file is read in blocks of about :data:`BLOCK_BYTES`, each completed up to a
line end outside quotes; the rows of the last record of a block wait for the next block. The ids
met so far are kept as 64-bit hashes (8 bytes a record) to catch an id that comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import IO, Any, Final, cast

import numpy as np
import polars as pl

from .fields import FIELD_BY_NAME
from .frames import (
    COLUMNS,
    INSTANT,
    SCHEMA,
    concat,
    frame_from_records,
    joined_texts,
    priority_entry_texts,
    status_entry_texts,
)
from .records import DONE_STATUSES, NormalisedRecord
from .stream import RecordStream
from .valuemaps import KEEP_PREVIOUS
from .values import EMPTY_MARKERS, ValueProblem

BLOCK_BYTES: Final = 8 << 20
# What :meth:`_FastReader._block` looks at at once.
_SLICE_BYTES: Final = 1 << 20
_US: Final = 1_000_000
_HOUR_US: Final = 3600 * _US
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
# What an audit-log row contributes to the history (read on every row).
_HISTORY_FIELDS: Final = frozenset(
    {"updated_at", "status", "sequence", "assignment_group", "priority"}
)
_EMPTY: Final = sorted(EMPTY_MARKERS)
_DIGITS: Final = list("0123456789")
_DERIVED: Final = ("responded_at", "resolved_at", "closed_at", "reopen_count", "reassignment_count")


def _start() -> pl.Expr:
    """Whether a row starts its record (rows of a record are contiguous)."""
    return pl.col("record") != pl.col("record").shift(1).fill_null(-1)


def _before(value: pl.Expr) -> pl.Expr:
    """``value`` of the previous row of the same record (null on a record's first row)."""
    return pl.when(_start()).then(None).otherwise(value.shift(1))


def _fill_in_record(value: pl.Expr, wanted: pl.Expr) -> pl.Expr:
    """The last ``value`` where ``wanted`` was true, up to this row, within the record
    (null before the first): a forward fill that does not cross record boundaries."""
    marker = pl.struct(value.alias("v"), pl.lit(True).alias("set"))
    return (
        pl.when(wanted)
        .then(marker)
        .when(_start())
        .then(pl.struct(pl.lit(None, dtype=pl.Null).alias("v"), pl.lit(False).alias("set")))
        .otherwise(None)
        .forward_fill()
        .struct.field("v")
    )


class Unsuitable(Exception):
    """The fast reader cannot give the reference's result for this file: read it with the
    reference reader (the message says why, for logs and tests)."""


def fast_frames(stream: RecordStream, source: Any) -> Iterator[pl.DataFrame] | None:
    """Record frames of ``stream``'s file read in columns, or ``None`` when this reader does
    not apply to it. ``source`` is the path or binary file the stream was opened from.

    Iterating may raise :class:`Unsuitable` (even after some frames): the caller discards
    what it did with the frames and reads the file again with the reference reader.
    """
    table = stream.table
    fmt = table.format
    if not (
        stream.audit_log
        and stream.grouping == "contiguous"
        and "kind" not in stream.positions
        and stream.kind is not None
        and fmt.file_format == "csv"
        and fmt.encoding in ("utf-8", "utf_8", "utf-8-sig")
        and len(fmt.delimiter or ",") == 1
        and table._header_row == 1
    ):
        return None
    return _FastReader(stream).frames(source)


class _FastReader:
    def __init__(self, stream: RecordStream) -> None:
        self.stream = stream
        self.width = len(stream.table.headers)
        self.delimiter = stream.table.format.delimiter or ","
        self.positions = stream.positions
        self.kind = cast(str, stream.kind)
        self.readers: dict[str, Callable[[str], Any]] = {
            name: read for name, _index, read in stream._readers
        }
        self.parser = stream.parser
        self._hour_offsets: dict[int, int | None] = {}
        # The columns read: the mapped ones (the reference reads no others).
        self.needed = sorted(set(self.positions.values()))
        self._seen = np.empty(0, dtype=np.uint64)

    # -- blocks ---------------------------------------------------------------------------

    def frames(self, source: Any) -> Iterator[pl.DataFrame]:
        """The record frames; a failure inside Polars (an error, or one of its panics, which
        are not ``Exception``) stops this reader, and the reference reads the file instead."""
        try:
            yield from self._frames(source)
        except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as error:
            raise Unsuitable(f"the columnar reader stopped ({type(error).__name__})") from None

    def _frames(self, source: Any) -> Iterator[pl.DataFrame]:
        carried: pl.DataFrame | None = None
        next_row = 2  # the header is row 1
        for block, rows in self._blocks(source):
            try:
                raw = pl.read_csv(
                    block,
                    has_header=False,
                    separator=self.delimiter,
                    quote_char='"',
                    infer_schema=False,
                    empty_string_is_null=False,
                    columns=self.needed,
                )
                raw.columns = [f"c{i}" for i in self.needed]
            except Exception as error:  # noqa: BLE001 - any parse problem: the reference decides
                raise Unsuitable(f"the CSV parser stopped: {error}") from None
            if raw.height != rows:
                raise Unsuitable("the CSV parser found another number of rows")
            raw = raw.with_columns(
                pl.int_range(next_row, next_row + rows, dtype=pl.Int64).alias("row")
            )
            next_row += rows
            self.stream.rows_read += rows
            if carried is not None:
                raw = pl.concat([carried, raw], how="vertical")
            frame, carried = self._records(raw, final=False)
            if frame.height:
                self.stream.records += frame.height
                yield frame
        if carried is not None and carried.height:
            frame, _ = self._records(carried, final=True)
            if frame.height:
                self.stream.records += frame.height
                yield frame

    def _blocks(self, source: Any) -> Iterator[tuple[bytes, int]]:
        """Blocks of whole rows after the header, with their row counts: about
        :data:`BLOCK_BYTES` read at once, completed up to a line end outside quotes."""
        handle: IO[bytes]
        if isinstance(source, str) or hasattr(source, "__fspath__"):
            handle = open(source, "rb")  # noqa: SIM115 - closed below
            owned = True
        else:
            handle, owned = source, False
            handle.seek(0)
        try:
            header = handle.readline()
            if not header.endswith(b"\n"):
                return  # a header only
            if header.count(b'"') % 2:
                raise Unsuitable("a line end inside the quoted header")
            while block := handle.read(BLOCK_BYTES):
                parts = [block]
                quotes = block.count(b'"')
                while not parts[-1].endswith(b"\n") or quotes % 2:
                    line = handle.readline()
                    if not line:
                        parts.append(b"\n")  # the last row has no line end
                        break
                    parts.append(line)
                    quotes += line.count(b'"')
                if len(parts) > 1:
                    block = b"".join(parts)
                del parts
                yield self._block(block)
        finally:
            if owned:
                handle.close()

    def _block(self, block: bytes) -> tuple[bytes, int]:
        """``block`` and its number of rows, after checking what Polars would not: that
        every row has the header's width (a short row reads as if padded) and that there
        are no blank lines (which the reference skips while counting them).

        Line ends and separators inside quotes are left out by the parity of the quotes
        before them. The block is looked at in slices of :data:`_SLICE_BYTES`, so that the
        arrays of bytes it takes stay small."""
        data = np.frombuffer(block, dtype=np.uint8)
        delimiter = ord(self.delimiter)
        quoted = block.find(b'"') >= 0
        inside = 0  # 1 while a quoted cell goes on from one slice into the next
        all_ends: list[np.ndarray] = []
        all_separators: list[np.ndarray] = []
        for start in range(0, data.size, _SLICE_BYTES):
            part = data[start : start + _SLICE_BYTES]
            ends = np.flatnonzero(part == 10).astype(np.int64)
            separators = np.flatnonzero(part == delimiter).astype(np.int64)
            if quoted:
                quotes = np.flatnonzero(part == 34)
                ends = ends[((np.searchsorted(quotes, ends) + inside) & 1) == 0]
                separators = separators[((np.searchsorted(quotes, separators) + inside) & 1) == 0]
                inside = (inside + quotes.size) & 1
            all_ends.append(ends + start)
            all_separators.append(separators + start)
        ends = np.concatenate(all_ends)
        starts = np.concatenate(([0], ends[:-1] + 1))
        lengths = ends - starts
        blank = (lengths == 0) | ((lengths == 1) & (data[ends - 1] == 13))
        if blank.any():
            raise Unsuitable("the file has blank lines")
        per_row = np.diff(np.searchsorted(np.concatenate(all_separators), ends), prepend=0)
        if (per_row != self.width - 1).any():
            raise Unsuitable("a row whose width is not the header's")
        return block, int(ends.size)

    # -- cells ----------------------------------------------------------------------------

    def _column(self, raw: pl.DataFrame, name: str) -> pl.Series:
        return raw[f"c{self.positions[name]}"]

    def _read(self, cells: pl.Series, name: str, dtype: pl.DataType) -> pl.Series:
        """The cells read by the stream's reader for ``name``, each distinct value once."""
        read = self.readers[name]
        distinct = cells.unique().to_list()
        table: dict[str, Any] = {}
        for text in distinct:
            try:
                table[text] = read(text)
            except ValueProblem:
                raise Unsuitable(f"a cell of {name} cannot be read") from None
        return cells.replace_strict(table, return_dtype=dtype)

    def _instants_of(self, columns: dict[str, pl.Series]) -> dict[str, tuple[pl.Series, pl.Series]]:
        """:meth:`_instants` of several columns of timestamp cells, worked out together."""
        if not columns:
            return {}
        values, odd = self._instants(pl.concat([cells.rename("raw") for cells in columns.values()]))
        found: dict[str, tuple[pl.Series, pl.Series]] = {}
        offset = 0
        for name, cells in columns.items():
            found[name] = (values.slice(offset, len(cells)), odd.slice(offset, len(cells)))
            offset += len(cells)
        return found

    def _instants(self, cells: pl.Series) -> tuple[pl.Series, pl.Series]:
        """UTC instants of timestamp cells, and which cells need the reference's reading.

        Where cells repeat a lot (dates without a time of day), each distinct text is worked
        out once; where more than a quarter of them are distinct (update times) they are
        worked out as they are, which is quicker than mapping them back from the distinct
        texts.
        """
        distinct = cells.unique()
        if len(distinct) * 4 > len(cells):
            return self._distinct_instants(cells)
        instants, slow = self._distinct_instants(distinct)
        both = pl.DataFrame({"raw": cells}).select(
            pl.col("raw").replace_strict(distinct, instants, return_dtype=INSTANT).alias("at"),
            pl.col("raw").replace_strict(distinct, slow, return_dtype=pl.Boolean).alias("slow"),
        )
        return both["at"], both["slow"]

    def _distinct_instants(self, cells: pl.Series) -> tuple[pl.Series, pl.Series]:
        parser = self.parser
        # Python's str.strip() and the stream's split are mirrored for printable ASCII;
        # other text is left to the reference. The reference's split wants a digit then ":"
        # as the 2nd or 3rd character of the time part.
        clock = pl.col("parts").struct.field("field_1")
        frame = (
            pl.DataFrame({"raw": cells})
            .lazy()
            .with_columns(
                odd=pl.col("raw").str.contains(r"[^\x20-\x7e]"),
                text=pl.col("raw").str.strip_chars(" "),
            )
            .with_columns(
                empty=pl.col("text").is_in(_EMPTY),
                parts=pl.col("text").str.split_exact(" ", 1),
            )
            .with_columns(
                day=pl.col("parts").struct.field("field_0"),
                clock=clock,
                shaped=(pl.col("parts").struct.field("field_0").str.len_bytes() > 0)
                & clock.str.slice(0, 1).is_in(_DIGITS)
                & ((clock.str.slice(1, 1) == ":") | (clock.str.slice(2, 1) == ":")),
            )
            .with_columns(
                slow=(
                    pl.col("odd") | (~pl.col("empty") & ~pl.col("shaped").fill_null(False))
                ).fill_null(False)
            )
            .with_columns(usable=~pl.col("slow") & ~pl.col("empty"))
            .select("day", "clock", "slow", "empty", "usable")
            .collect()
        )
        usable = frame.filter("usable").select(
            pl.col("day").unique().implode(), pl.col("clock").unique().implode()
        )
        days: dict[str, int] = {}
        for value in usable["day"][0].to_list():
            try:
                year, month, day = parser._days.get(value) or parser._read_day(value, value)
            except ValueProblem:
                raise Unsuitable("a date cannot be read") from None
            days[value] = date(year, month, day).toordinal() - _EPOCH_ORDINAL
        locals_: dict[str, int] = {}
        shifts: dict[str, int | None] = {}
        for value in usable["clock"][0].to_list():
            try:
                hour, minute, second, micro, offset = parser._clocks.get(
                    value
                ) or parser._read_clock(value, value)
            except ValueProblem:
                raise Unsuitable("a time of day cannot be read") from None
            locals_[value] = ((hour * 60 + minute) * 60 + second) * _US + micro
            shifts[value] = (
                None if offset is None else int(offset.utcoffset(None).total_seconds()) * _US
            )
        frame = frame.with_columns(
            local=pl.col("day").replace_strict(days, default=None, return_dtype=pl.Int64)
            * (86400 * _US)
            + pl.col("clock").replace_strict(locals_, default=None, return_dtype=pl.Int64),
            shift=pl.col("clock").replace_strict(shifts, default=None, return_dtype=pl.Int64),
        )
        if parser._is_utc:
            frame = frame.with_columns(zone=pl.lit(0, dtype=pl.Int64))
        else:
            frame = frame.with_columns(hour=pl.col("local") // _HOUR_US)
            wanted = (
                frame.filter(pl.col("usable") & pl.col("shift").is_null())["hour"]
                .unique()
                .to_list()
            )
            for hour in wanted:
                if hour not in self._hour_offsets:
                    self._hour_offsets[hour] = self._hour_offset(hour)
            frame = frame.with_columns(
                zone=pl.col("hour").replace_strict(
                    {h: self._hour_offsets[h] for h in wanted}, default=None, return_dtype=pl.Int64
                )
            ).with_columns(
                slow=pl.col("slow")
                | (
                    pl.col("usable") & pl.col("shift").is_null() & pl.col("zone").is_null()
                ).fill_null(False)
            )
        out = frame.select(
            pl.when(~pl.col("slow") & ~pl.col("empty"))
            .then(pl.col("local") - pl.coalesce("shift", "zone"))
            .cast(INSTANT)
            .alias("at"),
            "slow",
        )
        return out["at"], out["slow"]

    def _hour_offset(self, hour: int) -> int | None:
        """The zone's UTC offset in microseconds throughout local ``hour`` (hours since the
        epoch), or ``None`` when the offset changes within it (the reference decides)."""
        zone = self.parser._zone
        start = datetime(1970, 1, 1) + timedelta(hours=hour)
        end = start + timedelta(hours=1) - timedelta(microseconds=1)
        offsets = {
            moment.replace(tzinfo=zone, fold=fold).utcoffset()
            for moment in (start, end)
            for fold in (0, 1)
        }
        if len(offsets) != 1:
            return None
        offset = offsets.pop()
        assert offset is not None
        return int(offset.total_seconds()) * _US

    # -- records ----------------------------------------------------------------------------

    def _records(
        self, raw: pl.DataFrame, *, final: bool
    ) -> tuple[pl.DataFrame, pl.DataFrame | None]:
        """The records of ``raw``'s rows, and the rows of its last record when it may go on
        in the next block."""
        positions = self.positions
        source_id = self._read(self._column(raw, "source_id"), "source_id", pl.String())
        if source_id.null_count():
            raise Unsuitable("a row without an id")
        starts = (source_id != source_id.shift(1)).fill_null(True)
        record = starts.cast(pl.Int64).cum_sum() - 1
        carried = None
        if not final:
            last = int(record[-1]) if len(record) else -1
            keep = record != last
            carried = raw.filter(~keep)
            if not keep.any():
                return pl.DataFrame(schema=SCHEMA), carried
            raw, source_id, record = raw.filter(keep), source_id.filter(keep), record.filter(keep)
            starts = starts.filter(keep)
        self._check_ids(source_id.filter(starts))

        # The history's fields are read on every row; the others only on each record's last
        # row (all that is kept of them), and on the rows where the cell differs from the
        # last row's, only to check that it can be read (as the reference does).
        count = int(record[-1]) + 1 if len(record) else 0
        last_rows = pl.Series(np.flatnonzero(np.diff(record.to_numpy(), append=count)))
        columns: dict[str, pl.Series] = {"record": record, "row": raw["row"]}
        finals: dict[str, pl.Series] = {
            "record": pl.Series(np.arange(count, dtype=np.int64)),
            "row": raw["row"].gather(last_rows),
            "source_id": source_id.gather(last_rows),
        }
        slow = pl.Series([False] * raw.height)
        slow_final = pl.Series([False] * count)
        # A history field is read on every row, any other on each record's last row.
        read_cells: dict[str, pl.Series] = {}
        for name in positions:
            if name != "source_id":
                cells = self._column(raw, name)
                read_cells[name] = cells if name in _HISTORY_FIELDS else cells.gather(last_rows)
        # The block's timestamps are worked out in one go: a call's fixed cost was most of it
        # for the few thousand last rows of a block.
        stamps = self._instants_of(
            {
                name: cells
                for name, cells in read_cells.items()
                if FIELD_BY_NAME[name].type == "timestamp"
            }
        )
        for name, read in read_cells.items():
            dtype = pl.Int64() if name == "sequence" else SCHEMA.get(name, pl.String())
            timestamp = FIELD_BY_NAME[name].type == "timestamp"
            if name in _HISTORY_FIELDS:
                if timestamp:
                    columns[name], odd = stamps[name]
                    slow = slow | odd
                else:
                    columns[name] = self._read(read, name, dtype)
                continue
            cells = self._column(raw, name)
            self._check_cells(cells.filter(cells != read.gather(record)), name)
            if timestamp:
                finals[name], odd = stamps[name]
                slow_final = slow_final | odd
            else:
                finals[name] = self._read(read, name, dtype)
        columns["source_status"] = self._read(
            self._column(raw, "status"), "source_status", pl.String()
        )
        rows = pl.DataFrame(columns).with_columns(slow=slow)
        last_values = pl.DataFrame(finals).with_columns(slow=slow_final)
        for name in ("updated_at", "status", *(("sequence",) if "sequence" in positions else ())):
            if rows.filter(~pl.col("slow"))[name].null_count():
                raise Unsuitable(f"an empty cell of {name}")
        # Records whose updates are not plainly in order, or with a cell for the reference.
        numbered = "sequence" in positions
        back = pl.col("updated_at") < _before(pl.col("updated_at"))
        if numbered:
            back = back | (pl.col("sequence") <= _before(pl.col("sequence")))
        flagged = rows.select("record", odd=pl.col("slow") | back.fill_null(False))
        slow_ids = pl.concat(
            [
                flagged.filter(pl.col("odd"))["record"],
                last_values.filter(pl.col("slow"))["record"],
            ]
        ).unique()
        if len(slow_ids):
            wanted = ~pl.col("record").is_in(slow_ids.implode())
            rows, last_values = rows.filter(wanted), last_values.filter(wanted)
        if last_values["opened_at"].null_count():
            raise Unsuitable("a record whose last row has no opened time")
        frames = [self._build(rows, last_values)] if rows.height else []
        if len(slow_ids):
            frames.append(self._reference(raw, record, slow_ids.sort()))
        return concat(frames), carried

    def _check_cells(self, cells: pl.Series, name: str) -> None:
        """Stop if any of ``cells`` cannot be read as ``name`` (each distinct value once)."""
        read = self.readers[name]
        for text in cells.unique().to_list():
            try:
                read(text)
            except ValueProblem:
                raise Unsuitable(f"a cell of {name} cannot be read") from None

    def _check_ids(self, ids: pl.Series) -> None:
        """Stop at an id met before (the reference rejects its rows, naming the first)."""
        hashes = np.sort(ids.hash(seed=0).to_numpy())
        if hashes.size > 1 and (hashes[1:] == hashes[:-1]).any():
            raise Unsuitable("an id comes back after other ids")
        positions = np.searchsorted(self._seen, hashes)
        inside = positions < self._seen.size
        if (self._seen[positions[inside]] == hashes[inside]).any():
            raise Unsuitable("an id comes back after other ids")
        self._seen = np.insert(self._seen, positions, hashes)

    def _reference(self, raw: pl.DataFrame, record: pl.Series, wanted: pl.Series) -> pl.DataFrame:
        """The records ``wanted`` (record numbers in ``raw``) read by the reference."""
        cells = [f"c{i}" for i in self.needed]
        picked = raw.with_columns(record=record).filter(pl.col("record").is_in(wanted.implode()))
        records: list[NormalisedRecord] = []
        blank = [""] * self.width
        for (_number,), group in picked.group_by("record", maintain_order=True):
            rows = []
            for row in group.select([*cells, "row"]).rows():
                full = blank.copy()
                for index, value in zip(self.needed, row, strict=False):
                    full[index] = value
                rows.append((row[-1], full))
            source_id = self.stream._source_id(rows[0][1])
            assert source_id is not None
            for item in self.stream._audit_record(source_id, rows):
                if not isinstance(item, NormalisedRecord):
                    raise Unsuitable("a record the reference rejects")
                records.append(item)
        return frame_from_records(records)

    def _build(self, rows: pl.DataFrame, final: pl.DataFrame) -> pl.DataFrame:
        """Records from their rows (all in update order; see the history module) and their
        last rows' other values (``final``, one row per record, in the same order)."""
        positions = self.positions
        opened = rows.select("record").join(
            final.select("record", "opened_at"), on="record", how="left", maintain_order="left"
        )["opened_at"]
        status = pl.col("status")
        keep = status == KEEP_PREVIOUS
        rows = rows.with_row_index("i").with_columns(first=_start(), final_opened=opened)
        at = (
            pl.when(
                pl.col("first")
                & pl.col("final_opened").is_not_null()
                & (pl.col("final_opened") < pl.col("updated_at"))
            )
            .then(pl.col("final_opened"))
            .otherwise(pl.col("updated_at"))
        )
        last_plain = _fill_in_record(pl.col("i"), ~keep)
        group = pl.col("assignment_group") if "assignment_group" in positions else pl.lit(None)
        rows = rows.with_columns(
            at=at,
            entry_status=pl.when(keep)
            .then(_fill_in_record(status, ~keep))
            .otherwise(status)
            .fill_null("new"),
            entry_source=pl.when(keep)
            .then(pl.col("source_status").gather(last_plain.fill_null(0)))
            .otherwise(pl.col("source_status")),
            entry_group=group.cast(pl.String),
            previous_plain=last_plain,
        )
        # A keep-previous row before any plain row has no source status to take.
        rows = rows.with_columns(
            entry_source=pl.when(keep & pl.col("previous_plain").is_null())
            .then(None)
            .otherwise(pl.col("entry_source"))
        )
        triple = [pl.col("entry_status"), pl.col("entry_group"), pl.col("entry_source")]
        changed = pl.lit(False)
        for part in triple:
            changed = changed | part.ne_missing(part.shift(1))
        rows = rows.with_columns(is_entry=pl.col("first") | changed)
        entries = rows.filter(pl.col("is_entry")).select(
            "record",
            "at",
            status=pl.col("entry_status"),
            group=pl.col("entry_group"),
            source_status=pl.col("entry_source"),
        )
        entries = entries.with_columns(entry=status_entry_texts(entries), **self._derived())
        history = entries.group_by("record", maintain_order=True).agg(
            history=pl.struct("at", "status", "group", "source_status"),
            history_json=joined_texts(pl.col("entry")),
            responded=pl.col("responded").min(),
            resolved=pl.col("resolved").max(),
            closed=pl.col("closed").max(),
            derived_reopen_count=pl.col("reopened").sum().cast(pl.Int64),
            derived_reassignment_count=pl.col("reassigned").sum().cast(pl.Int64),
        )
        entry_at = entries["at"]
        history = history.with_columns(
            derived_responded_at=entry_at.gather(history["responded"]),
            derived_resolved_at=entry_at.gather(history["resolved"]),
            derived_closed_at=entry_at.gather(history["closed"]),
        )
        if "priority" in positions:
            changes = rows.filter(pl.col("priority").is_not_null()).select(
                "record", "at", "priority"
            )
            changes = changes.filter(
                (pl.col("record") != pl.col("record").shift(1).fill_null(-1))
                | pl.col("priority").ne_missing(pl.col("priority").shift(1))
            )
            changes = changes.with_columns(entry=priority_entry_texts(changes))
            priorities = changes.group_by("record", maintain_order=True).agg(
                priority_history=pl.struct("at", "priority"),
                priority_history_json=joined_texts(pl.col("entry")),
            )
        else:
            priorities = pl.DataFrame(
                schema={
                    "record": pl.Int64,
                    "priority_history": SCHEMA["priority_history"],
                    "priority_history_json": pl.String,
                },
            )
        last = rows.group_by("record", maintain_order=True).agg(
            pl.col("entry_status", "entry_source").last(),
            *[pl.col(name).last() for name in rows.columns if name in _HISTORY_FIELDS],
            rows=pl.len().cast(pl.Int64),
        )
        frame = (
            last.join(final, on="record", how="left", maintain_order="left")
            .join(history, on="record", how="left", maintain_order="left")
            .join(priorities, on="record", how="left", maintain_order="left")
        )
        copied = set(self.stream._copy_fields[cast(Any, self.kind)])
        out: list[pl.Expr] = []
        for name in COLUMNS:
            dtype = SCHEMA[name]
            if name == "source":
                expr = pl.lit(self.stream.profile.source)
            elif name == "kind":
                expr = pl.lit(self.kind)
            elif name in ("source_id", "opened_at", "rows"):
                expr = pl.col(name)
            elif name == "row_number":
                expr = pl.col("row")
            elif name == "status":
                expr = pl.col("entry_status")
            elif name == "source_status":
                expr = pl.col("entry_source")
            elif name == "history_source":
                expr = pl.lit("audit_log")
            elif name == "notes":
                expr = pl.lit([], dtype=dtype)
            elif name == "history":
                expr = pl.col("history")
            elif name == "priority_history":
                expr = pl.col("priority_history").fill_null(pl.lit([], dtype=dtype))
            elif name == "history_json":
                expr = pl.col("history_json")
            elif name == "priority_history_json":
                expr = pl.col("priority_history_json").fill_null("[]")
            elif name in _DERIVED and name not in positions:
                expr = pl.col(f"derived_{name}")
            elif name in copied:
                expr = pl.col(name)
            else:
                expr = pl.lit(None)
            out.append(expr.cast(dtype).alias(name))
        return frame.select(out)

    @staticmethod
    def _derived() -> dict[str, pl.Expr]:
        """What the reference derives from a history, as columns of the entries (all records'
        in one frame, each record's in order) that the group-by only has to take the least,
        greatest or sum of: the positions of the first entry out of "new" and of the last
        entries into resolved and closed, and per entry whether it reopens and whether it
        changes group (among the entries that name one)."""
        status = pl.col("status")
        same_record = pl.col("record") == pl.col("record").shift(1)
        before = pl.when(same_record).then(status.shift(1))
        position = pl.int_range(pl.len(), dtype=pl.Int64)
        done = list(DONE_STATUSES)

        def entered(wanted: str) -> pl.Expr:
            return pl.when((status == wanted) & before.ne_missing(wanted)).then(position)

        # The group before an entry's: the last one named earlier in the same record.
        group = pl.col("group")
        named = pl.when(group.is_not_null()).then(pl.col("record"))
        earlier_group = group.shift(1).forward_fill()
        earlier_record = named.shift(1).forward_fill()
        return {
            "responded": pl.when(status != "new").then(position),
            "resolved": entered("resolved"),
            "closed": entered("closed"),
            "reopened": (before.is_in(done) & ~status.is_in(done)).fill_null(False),
            "reassigned": (
                group.is_not_null()
                & (earlier_record == pl.col("record"))
                & (group != earlier_group)
            ).fill_null(False),
        }
