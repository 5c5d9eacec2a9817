"""From an export file to normalised records and rejections: :func:`open_records`.

The stream reads the first :data:`SAMPLE_ROWS` rows ahead to decide what the file does not
say (date order; whether it is an audit log), then reads every row once, converting each
cell through its field's reader. A row with any unreadable cell is a :class:`Rejection`
naming the columns and values; nothing is guessed.

**One row per record** (plain table exports): each good row is a record at once. The same
source id twice is a rejection of the later row, naming the first.

**One row per update** (audit-log exports): rows are grouped by source id and a record is
emitted when its last row has been seen, with the history rebuilt by :mod:`.history`.

* ``grouping="contiguous"`` (default; how ServiceNow writes them): a record's rows follow
  each other, so a record ends where the next id starts and memory holds one record's rows.
  An id that comes back after other ids is not merged: its later rows are rejected with a
  message saying to sort the file or to use ``two_pass``.
* ``grouping="two_pass"``: for files in any order (sorted by time, say). A first pass
  notes each id's last row (a dict: about 100 bytes per record, so 150,000 records take
  ~15 MB); the second pass keeps the rows of records still open and emits each at its
  last row, so memory grows with how many records interleave, not with the file. It needs a
  path or a seekable file.

If any row of a record is rejected, the record is not emitted and all its rows are listed:
the bad ones with their reasons, the others as left out with it.

**Memory.** Rows are streamed and the caches are bounded, so memory does not grow with the
number of rows. The one thing that grows with the number of *records* is the set of ids
seen so far, kept to catch duplicates and split records: 64-bit hashes with their first
row, about 16 bytes per record (32 for a moment while a batch is merged), so a million
records take 16 MB. Two distinct ids sharing a hash — odds below one in ten million for a
million ids — would show as a false duplicate, never as a silent merge.

**Speed.** About 100,000 audit-log rows per second on one core of the benchmark machine
(``bench/ingest``), a fifth of which is the :mod:`csv` module's own parsing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import fields as dataclass_fields
from datetime import datetime
from itertools import chain, islice
from operator import itemgetter
from typing import Any, Final, Literal, cast
from zoneinfo import ZoneInfo

import numpy as np

from .fields import FIELD_BY_NAME, MAPPED_TYPES, ColumnMapping
from .history import (
    HistoryOutOfOrder,
    Update,
    audit_history,
    last_entry_into,
    milestone_history,
    order_updates,
    reassignments,
    reopens,
)
from .mapping import resolve_columns
from .profiles import Profile, SourceName, profile_for
from .reading import RowItem, Table, TableFormat, TableSource, open_table
from .records import (
    IngestError,
    Kind,
    NormalisedRecord,
    PriorityEntry,
    Rejection,
    Status,
    StatusEntry,
)
from .valuemaps import COMMON_MAPS, COMMON_PATTERNS, KEEP_PREVIOUS, build_mapper
from .values import (
    DateOrder,
    TimestampParser,
    ValueProblem,
    clean,
    detect_date_order,
    parse_bool,
    parse_duration,
    parse_int,
)

Grouping = Literal["contiguous", "two_pass"]
DateOrderSource = Literal["given", "detected", "assumed", "not_needed"]
Item = NormalisedRecord | Rejection
Reader = Callable[[str], Any]

SAMPLE_ROWS: Final = 1000
_READER_CACHE_LIMIT: Final = 4096
_RECORD_FIELDS: Final = frozenset(f.name for f in dataclass_fields(NormalisedRecord))
# What an audit-log row contributes to the history, in the order of history.Update's fields;
# its other cells only matter on the record's final row (see RecordStream._check_unread).
_UPDATE_FIELDS: Final = (
    "sequence",
    "updated_at",
    "status",
    "source_status",
    "assignment_group",
    "priority",
)
_HISTORY_FIELDS: Final = frozenset({"source_id", *_UPDATE_FIELDS})
_SET_APART: Final = frozenset({"source_id", "kind", "status", "opened_at", "source_status"})


class SeenIds:
    """The ids met so far with the row each was first met on, in ~16 bytes per id.

    Recent ids sit in a small dict; in batches they are merged into sorted numpy arrays of
    hashes and rows (see the module docstring on hashing). A merge inserts the batch in
    place of a full re-sort, so it briefly needs one extra copy of the arrays, no more; the
    batch grows with the arrays so that merging stays linear overall.
    """

    _MIN_BATCH: Final = 16_384

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}
        self._hashes = np.empty(0, dtype=np.int64)
        self._rows = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._recent) + int(self._hashes.size)

    def add(self, source_id: str, row_number: int) -> int | None:
        """Remember ``source_id``; return the row it was first met on if it was already."""
        key = hash(source_id)
        earlier = self._recent.get(key)
        if earlier is not None:
            return earlier
        if self._hashes.size:
            position = int(np.searchsorted(self._hashes, key))
            if position < self._hashes.size and int(self._hashes[position]) == key:
                return int(self._rows[position])
        self._recent[key] = row_number
        if len(self._recent) >= max(self._MIN_BATCH, self._hashes.size // 8):
            self._merge()
        return None

    def _merge(self) -> None:
        count = len(self._recent)
        hashes = np.fromiter(self._recent.keys(), dtype=np.int64, count=count)
        rows = np.fromiter(self._recent.values(), dtype=np.int64, count=count)
        self._recent = {}
        order = np.argsort(hashes)
        hashes, rows = hashes[order], rows[order]
        positions = np.searchsorted(self._hashes, hashes)
        self._hashes = np.insert(self._hashes, positions, hashes)
        self._rows = np.insert(self._rows, positions, rows)


class RecordStream:
    """An export being read: what was detected, and an iterator of records and rejections.

    Iterate it once (``for item in stream``); each item is a :class:`NormalisedRecord` or a
    :class:`Rejection`. The attributes say how the file was read (:meth:`describe` gives
    them as a JSON-serialisable dict for the import run record); :attr:`warnings` grows
    while reading (daylight-saving adjustments are counted as they happen).
    """

    def __init__(
        self,
        table: Table,
        profile: Profile,
        *,
        kind: Kind | None,
        tz: str,
        columns: Mapping[str, str | None] | None,
        value_maps: Mapping[str, Mapping[str, str]] | None,
        date_order: DateOrder | None,
        decimal_comma: bool | None,
        audit_log: bool | None,
        grouping: Grouping,
    ) -> None:
        self.table = table
        self.profile = profile
        self.tz = tz
        self.grouping: Grouping = grouping
        self.rows_read = 0
        self.records = 0
        self.rejected_rows = 0
        self._warnings: list[str] = list(table.warnings)
        self._iterated = False
        if profile.kind is not None and kind is not None and kind != profile.kind:
            raise IngestError(f"the {profile.name} profile reads {profile.kind}s, not {kind}s")
        self.kind: Kind | None = kind or profile.kind
        self.positions = resolve_columns(profile, table.headers, columns)
        if self.kind is None and "kind" not in self.positions:
            raise IngestError(
                "this export does not say the kind of its rows: choose incident, request, "
                "problem or change, or map the column that holds it"
            )
        self.columns: ColumnMapping = {
            name: table.headers[index] for name, index in self.positions.items()
        }

        rows = table.rows()
        self._sample: list[RowItem] = list(islice(rows, SAMPLE_ROWS))
        self._rest: Iterator[RowItem] = rows
        data = [item for item in self._sample if not isinstance(item, Rejection)]

        self.date_order_source: DateOrderSource
        self.date_order, self.date_order_source = self._decide_date_order(date_order, data)
        try:
            self.parser = TimestampParser(self.date_order, tz)
        except ValueError as error:
            raise IngestError(str(error)) from None
        self._zone = ZoneInfo(tz)
        self.decimal_comma: bool = (
            decimal_comma if decimal_comma is not None else table.format.delimiter == ";"
        )
        self.audit_log_detected = audit_log is None
        self.audit_log: bool = (
            audit_log if audit_log is not None else self._looks_like_audit_log(data)
        )
        if self.audit_log and "updated_at" not in self.positions:
            raise IngestError(
                "an audit-log export (one row per update) needs the update time column "
                f"({' or '.join(profile.columns.get('updated_at', ())) or 'map updated_at'})"
            )
        if self.audit_log and grouping == "two_pass" and not table.rereadable:
            raise IngestError("two-pass grouping needs a file that can be read twice")

        self._readers = self._build_readers(value_maps or {})
        by_name = {name: (index, read) for name, index, read in self._readers}
        self._update_plan = [by_name.get(name, (0, _nothing)) for name in _UPDATE_FIELDS]
        self._other_readers = [r for r in self._readers if r[0] not in _HISTORY_FIELDS]
        # The cells of the other readers as a tuple (even of one or none), to compare rows.
        other_indexes = [index for _, index, _ in self._other_readers]
        self._pick_other: Callable[[list[str]], tuple[str, ...]] = (
            (lambda cells: tuple(cells[i] for i in other_indexes))
            if len(other_indexes) < 2
            else itemgetter(*other_indexes)
        )
        # Fields every row must have; rows with all of them and no kind column skip _check.
        self._needed: tuple[str, ...] = ("source_id", "opened_at", "status")
        if self.audit_log:
            self._needed += (
                ("updated_at", "sequence") if "sequence" in self.positions else ("updated_at",)
            )
        self._fast = "kind" not in self.positions
        self._copy_fields = {
            record_kind: tuple(
                name
                for name in self.positions
                if name in _RECORD_FIELDS
                and name not in _SET_APART
                and record_kind in (FIELD_BY_NAME[name].kinds or {record_kind})
            )
            for record_kind in ("incident", "request", "problem", "change")
        }

    def _decide_date_order(
        self, given: DateOrder | None, data: list[tuple[int, list[str]]]
    ) -> tuple[DateOrder, DateOrderSource]:
        """The date order: the caller's, else proven by the sample, else day-first."""
        indexes = [
            index
            for name, index in self.positions.items()
            if FIELD_BY_NAME[name].type == "timestamp"
        ]
        values = [cells[i] for _, cells in data for i in indexes]
        detected, disagreement = detect_date_order(values)
        if given is not None:
            if detected is not None and detected != given:
                self._warnings.append(
                    f"dates are read {given.replace('_', '-')} as chosen, but the first rows "
                    f"look {detected.replace('_', '-')}"
                )
            return given, "given"
        if detected is not None:
            if disagreement:
                self._warnings.append(disagreement)
            return detected, "detected"
        if not any(_is_numeric_date(value) for value in values):
            return "day_first", "not_needed"
        self._warnings.append(
            f"the first {len(data)} rows do not show whether dates are day-first or "
            "month-first (no day above 12); reading them day-first — choose the order if "
            "that is wrong"
        )
        return "day_first", "assumed"

    def _looks_like_audit_log(self, data: list[tuple[int, list[str]]]) -> bool:
        """Whether the sample shows one row per update (an id on several rows).

        Only when the file has what orders updates: the update number where the profile
        knows one (so that a table export with a stray duplicate is not taken for an audit
        log), else the update time.
        """
        profile = self.profile
        orderable = (
            "sequence" in self.positions
            if "sequence" in profile.columns
            else "updated_at" in self.positions
        )
        if not (profile.audit_log and orderable):
            return False
        id_index = self.positions["source_id"]
        seen: set[str] = set()
        for _, cells in data:
            source_id = cells[id_index].strip()
            if source_id in seen:
                return True
            seen.add(source_id)
        return False

    # -- what was detected ------------------------------------------------------------

    @property
    def format(self) -> TableFormat:
        return self.table.format

    @property
    def warnings(self) -> list[str]:
        """Things the caller should know about this file, in words."""
        return [*self._warnings, *self.parser.warnings()]

    def describe(self) -> dict[str, Any]:
        """How the file is being read, as a JSON-serialisable dict."""
        fmt = self.table.format
        return {
            "source": self.profile.source,
            "profile": self.profile.name,
            "kind": self.kind,
            "file_format": fmt.file_format,
            "encoding": fmt.encoding,
            "encoding_detected": fmt.encoding_detected,
            "bom": fmt.bom,
            "delimiter": fmt.delimiter,
            "delimiter_detected": fmt.delimiter_detected,
            "sheet": fmt.sheet,
            "date_order": self.date_order,
            "date_order_source": self.date_order_source,
            "time_zone": self.tz,
            "decimal_comma": self.decimal_comma,
            "audit_log": self.audit_log,
            "audit_log_detected": self.audit_log_detected,
            "grouping": self.grouping,
            "columns": dict(self.columns),
            "warnings": self.warnings,
        }

    def close(self) -> None:
        self.table.close()

    def __enter__(self) -> RecordStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Item]:
        if self._iterated:
            raise IngestError("the stream has been read already; open the file again")
        self._iterated = True
        rows = chain(self._sample, self._rest)
        self._sample = []
        if not self.audit_log:
            items = self._plain(rows)
        elif self.grouping == "two_pass":
            items = self._two_pass(rows)
        else:
            items = self._contiguous(rows)
        for item in items:
            if isinstance(item, Rejection):
                self.rejected_rows += 1
            else:
                self.records += 1
            yield item

    def _build_readers(
        self, value_maps: Mapping[str, Mapping[str, str]]
    ) -> list[tuple[str, int, Reader]]:
        unmappable = sorted(
            name
            for name in value_maps
            if name not in FIELD_BY_NAME or FIELD_BY_NAME[name].type not in MAPPED_TYPES
        )
        if unmappable:
            raise IngestError(
                f"value maps are for fields read through a map (status, priority, impact, ...), "
                f"not for: {', '.join(unmappable)}"
            )
        decimal_comma = self.decimal_comma
        readers: list[tuple[str, int, Reader]] = []
        for name, index in self.positions.items():
            spec = FIELD_BY_NAME[name]
            reader: Reader
            if spec.type == "text":
                reader = clean
            elif spec.type == "timestamp":
                reader = self.parser.cell
            elif spec.type == "int":
                reader = _cached(lambda v: parse_int(v, decimal_comma=decimal_comma))
            elif spec.type == "bool":
                reader = _cached(parse_bool)
            elif spec.type == "duration":
                reader = _cached(lambda v: parse_duration(v, decimal_comma=decimal_comma))
            else:
                assert spec.type in MAPPED_TYPES
                defaults = {
                    **COMMON_MAPS[spec.type],
                    **self.profile.value_maps.get(name, {}),
                }
                patterns = self.profile.patterns.get(name, COMMON_PATTERNS.get(spec.type, ()))
                try:
                    reader = build_mapper(
                        spec.label.lower(), spec.type, defaults, patterns, value_maps.get(name)
                    )
                except ValueError as error:
                    raise IngestError(str(error)) from None
            readers.append((name, index, reader))
        readers.sort(key=lambda reader: reader[1])  # problems are then named in file order
        readers.append(("source_status", self.positions["status"], clean))
        return readers

    def _read_row(self, cells: list[str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The row's values by field, and the problems found as (column, message)."""
        values, problems = self._read(cells, self._readers)
        if (
            not problems
            and self._fast
            and all(values[name] is not None for name in self._needed)
            and (self.audit_log or values["status"] != KEEP_PREVIOUS)
        ):
            return values, problems  # the common case: nothing more to check
        self._check(values, problems)
        return values, problems

    def _read(
        self, cells: list[str], readers: list[tuple[str, int, Reader]]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """The values of ``readers``' fields, and the cells that could not be read."""
        try:
            return {name: read(cells[index]) for name, index, read in readers}, []
        except ValueProblem:
            pass  # read again, one cell at a time, to name every problem
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for name, index, read in readers:
            try:
                values[name] = read(cells[index])
            except ValueProblem as problem:
                values[name] = None
                problems.append((self.table.headers[index], str(problem)))
        return values, problems

    def _read_update(self, number: int, cells: list[str]) -> Update | list[tuple[str, str]]:
        """What an audit-log row says about the history, or the problems that stop it."""
        # Unrolled over _UPDATE_FIELDS (six fields): this runs once per row of the file.
        (i0, r0), (i1, r1), (i2, r2), (i3, r3), (i4, r4), (i5, r5) = self._update_plan
        try:
            return Update(
                number,
                r0(cells[i0]),
                r1(cells[i1]),
                r2(cells[i2]),
                r3(cells[i3]),
                r4(cells[i4]),
                r5(cells[i5]),
            )
        except ValueProblem:
            return self._read(cells, self._readers)[1]

    def _check_update(self, update: Update) -> list[tuple[str, str]]:
        """The empty cells an audit-log row's history fields may not have."""
        problems = []
        for name, value, what in (
            ("updated_at", update.at, "update time"),
            ("sequence", update.seq, "update number"),
            ("status", update.status, "status"),
        ):
            if value is None and name in self.positions:
                header = self.table.headers[self.positions[name]]
                problems.append((header, f"the {what} is empty"))
        return problems

    def _check_unread(self, cells: list[str], final: list[str]) -> list[tuple[str, str]]:
        """Problems in the cells of a non-final audit-log row that the history does not read.

        Only the final row's values are kept, so a cell equal to the final row's (which is
        read in full) is known good; the others are read to check them.
        """
        problems: list[tuple[str, str]] = []
        pick = self._pick_other
        mine = pick(cells)
        theirs = pick(final)
        if mine == theirs:
            return problems  # the common case: the same cells as the final row
        for raw, last, (_, index, read) in zip(mine, theirs, self._other_readers, strict=True):
            if raw != last:
                try:
                    read(raw)
                except ValueProblem as problem:
                    problems.append((self.table.headers[index], str(problem)))
        return problems

    def _check(self, values: dict[str, Any], problems: list[tuple[str, str]]) -> None:
        headers, positions = self.table.headers, self.positions
        failed = {column for column, _ in problems}

        def require(name: str, what: str) -> None:
            header = headers[positions[name]]
            if values.get(name) is None and header not in failed:
                problems.append((header, f"the {what} is empty"))

        require("source_id", "id")
        require("opened_at", "opened time")
        require("status", "status")
        if self.audit_log:
            require("updated_at", "update time")
            if "sequence" in positions:
                require("sequence", "update number")
        elif values.get("status") == KEEP_PREVIOUS:
            problems.append(
                (
                    headers[positions["status"]],
                    f"the status {values.get('source_status')!r} says nothing about the "
                    "status, which a one-row-per-record export needs",
                )
            )
        row_kind = values.get("kind")
        if "kind" in positions and headers[positions["kind"]] in failed:
            return
        if row_kind is None:
            if self.kind is None:
                problems.append((headers[positions["kind"]], "the kind is empty"))
            values["kind"] = self.kind
        elif self.kind is not None and row_kind != self.kind:
            problems.append(
                (
                    headers[positions["kind"]],
                    f"the row is a {row_kind}, but this import is for {self.kind}s",
                )
            )

    def _reject(
        self,
        row_number: int,
        source_id: str | None,
        problems: list[tuple[str, str]],
        tail: str = "",
    ) -> Rejection:
        reason = "; ".join(f"{column}: {message}" for column, message in problems)
        columns = tuple(dict.fromkeys(column for column, _ in problems))
        return Rejection(row_number, source_id, reason + tail, columns)

    def _describe_instant(self, instant: datetime) -> str:
        local = instant.astimezone(self._zone)
        return f"{local:%Y-%m-%d %H:%M} {self.tz}"

    def _source_id(self, cells: list[str]) -> str | None:
        return clean(cells[self.positions["source_id"]])

    def _missing_id(self, row_number: int) -> Rejection:
        header = self.table.headers[self.positions["source_id"]]
        return Rejection(row_number, None, f"{header}: the id is empty", (header,))

    # -- one row per record -------------------------------------------------------------

    def _plain(self, rows: Iterator[RowItem]) -> Iterator[Item]:
        seen = SeenIds()
        id_header = self.table.headers[self.positions["source_id"]]
        for item in rows:
            if isinstance(item, Rejection):
                self.rows_read += 1
                yield item
                continue
            number, cells = item
            self.rows_read += 1
            values, problems = self._read_row(cells)
            source_id = values["source_id"]
            if problems:
                yield self._reject(number, source_id, problems)
                continue
            earlier = seen.add(source_id, number)
            if earlier is not None:
                hint = (
                    " (for an audit-log export with one row per update, import it as one)"
                    if self.profile.audit_log
                    else ""
                )
                yield Rejection(
                    number,
                    source_id,
                    f"{id_header}: {source_id} appears again (first on row {earlier}); "
                    f"this export has one row per record{hint}",
                    (id_header,),
                )
                continue
            status = cast(Status, values["status"])
            try:
                history, priorities = milestone_history(values, status, number)
            except HistoryOutOfOrder as problem:
                yield Rejection(number, source_id, problem.message)
                continue
            yield self._record(
                values,
                status=status,
                history=history,
                priorities=priorities,
                row_number=number,
                rows=1,
                notes=(),
            )

    # -- one row per update -------------------------------------------------------------

    def _contiguous(self, rows: Iterator[RowItem]) -> Iterator[Item]:
        seen = SeenIds()
        id_index = self.positions["source_id"]
        id_header = self.table.headers[id_index]
        current: str | None = None
        group: list[tuple[int, list[str]]] = []
        first_met: int | None = None
        for item in rows:
            if isinstance(item, Rejection):
                self.rows_read += 1
                yield item
                continue
            number, cells = item
            self.rows_read += 1
            source_id = clean(cells[id_index])
            if source_id is None:
                yield self._missing_id(number)
                continue
            if source_id != current:
                if group and current is not None:
                    yield from self._finish(current, group, first_met, id_header)
                current, group = source_id, []
                first_met = seen.add(source_id, number)
            group.append((number, cells))
        if group and current is not None:
            yield from self._finish(current, group, first_met, id_header)

    def _finish(
        self,
        source_id: str,
        group: list[tuple[int, list[str]]],
        first_met: int | None,
        id_header: str,
    ) -> Iterator[Item]:
        if first_met is None:
            yield from self._audit_record(source_id, group)
            return
        for number, _ in group:
            yield Rejection(
                number,
                source_id,
                f"{id_header}: {source_id} already appeared from row {first_met}, with other "
                "records in between; the rows of one record must be together — sort the file "
                f"by {id_header}, or import it with two-pass grouping",
                (id_header,),
            )

    def _two_pass(self, rows: Iterator[RowItem]) -> Iterator[Item]:
        # Keyed by hash, so the ids' text is not kept: two ids sharing a hash would only
        # make the earlier one wait for the later one's last row.
        last_row: dict[int, int] = {}
        for item in rows:
            if isinstance(item, Rejection):
                continue
            number, cells = item
            source_id = self._source_id(cells)
            if source_id is not None:
                last_row[hash(source_id)] = number
        open_groups: dict[str, list[tuple[int, list[str]]]] = {}
        for item in self.table.rows():
            if isinstance(item, Rejection):
                self.rows_read += 1
                yield item
                continue
            number, cells = item
            self.rows_read += 1
            source_id = self._source_id(cells)
            if source_id is None:
                yield self._missing_id(number)
                continue
            group = open_groups.setdefault(source_id, [])
            group.append((number, cells))
            if last_row.get(hash(source_id)) == number:
                del open_groups[source_id]
                yield from self._audit_record(source_id, group)
        for source_id, group in open_groups.items():  # only if the file changed meanwhile
            yield from self._audit_record(source_id, group)

    def _audit_record(self, source_id: str, group: list[tuple[int, list[str]]]) -> Iterator[Item]:
        """The record of one id's audit-log rows, or the rejections of all of them."""
        updates: list[Update] = []
        bad: list[tuple[int, list[tuple[str, str]]]] = []
        for number, cells in group:
            update = self._read_update(number, cells)
            if isinstance(update, Update):
                if update.at is None or update.status is None or update.seq is None:
                    problems = self._check_update(update)
                    if problems:
                        bad.append((number, problems))
                        continue
                updates.append(update)
            else:
                bad.append((number, update))
        kept: list[Update] = []
        notes: list[str] = []
        if not bad:
            try:
                kept, notes = order_updates(
                    updates, self.parser.second_occurrence, self._describe_instant
                )
            except HistoryOutOfOrder as problem:
                yield from self._reject_group(
                    source_id,
                    group,
                    {problem.row_number: Rejection(problem.row_number, source_id, problem.message)},
                    f"whose history is out of order (row {problem.row_number})",
                )
                return
            final_cells = dict(group)[kept[-1].row_number]
            values, problems = self._read_row(final_cells)
            if problems:
                bad.append((kept[-1].row_number, problems))
            for number, cells in group:
                if cells is not final_cells:
                    problems = self._check_unread(cells, final_cells)
                    if problems:
                        bad.append((number, problems))
        if bad:
            tail = f" ({source_id} is left out: its history would be incomplete)"
            bad.sort()
            yield from self._reject_group(
                source_id,
                group,
                {number: self._reject(number, source_id, p, tail) for number, p in bad},
                f"whose row {bad[0][0]} was rejected",
            )
            return
        final = kept[-1]
        history, priorities = audit_history(kept, values.get("opened_at"))
        status = history[-1].status
        positions = self.positions
        if "responded_at" not in positions:
            values["responded_at"] = next((e.at for e in history if e.status != "new"), None)
        for name, done in (("resolved_at", "resolved"), ("closed_at", "closed")):
            if name not in positions:
                values[name] = last_entry_into(history, cast(Status, done))
        if "reopen_count" not in positions:
            values["reopen_count"] = reopens(history)
        if "reassignment_count" not in positions:
            values["reassignment_count"] = reassignments(history)
        yield self._record(
            values,
            status=status,
            history=history,
            priorities=priorities,
            row_number=final.row_number,
            rows=len(group),
            notes=tuple(notes),
            history_source="audit_log",
            derived=(
                "responded_at",
                "resolved_at",
                "closed_at",
                "reopen_count",
                "reassignment_count",
            ),
        )

    def _reject_group(
        self,
        source_id: str,
        group: list[tuple[int, list[str]]],
        rejected: dict[int, Rejection],
        why: str,
    ) -> Iterator[Rejection]:
        """Every row of a record that is left out: its own rejection or a pointer to one."""
        for number, _ in group:
            yield rejected.get(number) or Rejection(
                number, source_id, f"left out with {source_id}, {why}"
            )

    def _record(
        self,
        values: dict[str, Any],
        *,
        status: Status,
        history: list[StatusEntry],
        priorities: list[PriorityEntry],
        row_number: int,
        rows: int,
        notes: tuple[str, ...],
        history_source: Literal["audit_log", "milestones"] = "milestones",
        derived: tuple[str, ...] = (),
    ) -> NormalisedRecord:
        kind = cast(Kind, values.get("kind", self.kind))
        extra = {name: values[name] for name in self._copy_fields[kind]}
        for name in derived:
            if name in values:
                extra[name] = values[name]
        return NormalisedRecord(
            source=self.profile.source,
            kind=kind,
            source_id=values["source_id"],
            status=status,
            opened_at=values["opened_at"],
            row_number=row_number,
            rows=rows,
            source_status=history[-1].source_status if history else values.get("source_status"),
            history=tuple(history),
            priority_history=tuple(priorities),
            history_source=history_source,
            notes=notes,
            **extra,
        )


def _nothing(raw: str) -> None:
    """The reader of a field the file does not have."""
    return None


def _cached(read: Callable[[str], Any]) -> Reader:
    """A reader giving ``None`` for an empty cell and ``read(value)`` otherwise, cached.

    Counts, flags and durations take few distinct values, so the cache (bounded) saves
    most of the parsing.
    """
    cache: dict[str, Any] = {}

    def reader(raw: str) -> Any:
        try:
            return cache[raw]
        except KeyError:
            pass
        value = clean(raw)
        result = None if value is None else read(value)
        if len(cache) >= _READER_CACHE_LIMIT:
            cache.clear()
        cache[raw] = result
        return result

    return reader


def _is_numeric_date(value: str) -> bool:
    parts = value.strip()[:10].replace("/", "-").replace(".", "-").split("-")
    return (
        len(parts) == 3 and all(part[:2].strip().isdigit() for part in parts) and len(parts[0]) <= 2
    )


def open_records(
    file: TableSource,
    *,
    source: SourceName | Profile,
    kind: Kind | None = None,
    tz: str = "UTC",
    columns: Mapping[str, str | None] | None = None,
    value_maps: Mapping[str, Mapping[str, str]] | None = None,
    date_order: DateOrder | None = None,
    decimal_comma: bool | None = None,
    audit_log: bool | None = None,
    grouping: Grouping = "contiguous",
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> RecordStream:
    """Open an export of ``source`` and get a stream of records and rejections.

    * ``file``: a path or a binary file object (CSV or XLSX, told apart by content).
    * ``source``: ``servicenow``, ``jira``, ``glpi``, ``itop`` or ``csv`` (with ``columns``),
      or a :class:`Profile`. ServiceNow needs ``kind`` (its tables differ).
    * ``kind``: the kind of every row; for Jira, GLPI, iTop and mapped files a ``kind``
      column may decide per row instead, and rows of another kind than a given ``kind``
      are rejected.
    * ``tz``: IANA time zone of the times in the file that carry no offset.
    * ``columns``: field -> header, over the profile's own (``None`` unmaps a field).
    * ``value_maps``: field -> {source value: our value}, over the profile's defaults.
    * ``date_order``, ``decimal_comma``, ``encoding``, ``delimiter``: force what is
      otherwise detected (decimal commas default to on for ``;``-separated files, whose
      locale writes them).
    * ``audit_log``: one row per update; detected when ``None`` (the profile allows it
      and an id repeats within the sample).
    * ``grouping``: see the module docstring. ``sheet``: the XLSX sheet (default: first).

    Raises :class:`IngestError` when the file cannot be read at all.
    """
    if isinstance(source, Profile):
        profile = source
    else:
        try:
            profile = profile_for(source, kind)
        except ValueError as error:
            raise IngestError(str(error)) from None
    table = open_table(file, encoding=encoding, delimiter=delimiter, sheet=sheet)
    try:
        return RecordStream(
            table,
            profile,
            kind=kind,
            tz=tz,
            columns=columns,
            value_maps=value_maps,
            date_order=date_order,
            decimal_comma=decimal_comma,
            audit_log=audit_log,
            grouping=grouping,
        )
    except BaseException:
        table.close()
        raise
