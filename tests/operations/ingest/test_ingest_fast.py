"""The vectorised audit-log reader (:func:`fast_frames`) against the row-by-row reference.

Every file is read both ways: ``fast_frames`` over a stream of the file, and the reference
``RecordStream`` with its records turned into a frame by ``frame_from_records``. The two
frames, sorted by source id, must be equal column for column. Files the fast reader must
not read it refuses with :class:`Unsuitable` (while iterating) or ``None`` (at once), and
the reference then gives the caller the rejections.

Small files are written over the header of the shared ServiceNow sample (read from it at
test time, see conftest.py), one dict per row.
"""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from openitsms.operations.ingest import NormalisedRecord, Rejection, open_records
from openitsms.operations.ingest import fast as fast_module
from openitsms.operations.ingest.fast import Unsuitable, fast_frames
from openitsms.operations.ingest.frames import concat, frame_from_records, history_json

ROOT = Path(__file__).resolve().parents[3]
AMSTERDAM = "Europe/Amsterdam"

Row = dict[str, str]
Write = Callable[..., Path]


# -- helpers --------------------------------------------------------------------------------


def options(**extra: Any) -> dict[str, Any]:
    return {"source": "servicenow", "kind": "incident", **extra}


def read_fast(path: Path, **extra: Any) -> pl.DataFrame:
    """The fast reader's frames of ``path``, joined (it must apply to the file)."""
    with open_records(path, **options(**extra)) as stream:
        frames = fast_frames(stream, path)
        assert frames is not None, "the fast reader does not apply to this file"
        return concat(list(frames))


def read_reference(path: Path, **extra: Any) -> tuple[pl.DataFrame, list[Rejection]]:
    """The reference reader's records of ``path`` as a frame, and its rejections."""
    with open_records(path, **options(**extra)) as stream:
        items = list(stream)
    records = [item for item in items if isinstance(item, NormalisedRecord)]
    rejections = [item for item in items if isinstance(item, Rejection)]
    return frame_from_records(records), rejections


def assert_same_frames(fast: pl.DataFrame, ref: pl.DataFrame) -> None:
    """``fast`` equals ``ref`` once both are sorted by source id; on failure the message
    names the first differing column and shows its differing rows."""
    fast, ref = fast.sort("source_id"), ref.sort("source_id")
    # The reference's frames leave the stored JSON texts of the histories to the writer
    # (history_json); the columnar reader writes them itself. Both must give the same text.
    if fast.height == ref.height:
        ref = ref.with_columns(
            pl.Series("history_json", history_json(ref)[0]),
            pl.Series("priority_history_json", history_json(ref)[1]),
        )
        fast = fast.with_columns(
            pl.Series("history_json", history_json(fast)[0]),
            pl.Series("priority_history_json", history_json(fast)[1]),
        )
    if fast.equals(ref):
        return
    if fast.schema != ref.schema:
        pytest.fail(f"schemas differ:\nfast: {fast.schema}\nref:  {ref.schema}")
    if fast.height != ref.height:
        only_fast = set(fast["source_id"]) - set(ref["source_id"])
        only_ref = set(ref["source_id"]) - set(fast["source_id"])
        pytest.fail(
            f"{fast.height} fast records, {ref.height} reference records; "
            f"only fast: {sorted(only_fast)[:10]}, only reference: {sorted(only_ref)[:10]}"
        )
    for name in fast.columns:
        if fast[name].equals(ref[name]):
            continue
        differs = pl.Series(
            [a != b for a, b in zip(fast[name].to_list(), ref[name].to_list(), strict=True)]
        )
        with pl.Config(tbl_rows=10, fmt_str_lengths=200, fmt_table_cell_list_len=12):
            shown = pl.DataFrame(
                {
                    "source_id": fast["source_id"].filter(differs),
                    "fast": fast[name].filter(differs),
                    "reference": ref[name].filter(differs),
                }
            )
            pytest.fail(
                f"column {name!r} differs on {int(differs.sum())} records; first ones:\n"
                + "\n".join(
                    f"{row['source_id']}:\n  fast:      {row['fast']!r}\n"
                    f"  reference: {row['reference']!r}"
                    for row in shown.head(5).iter_rows(named=True)
                )
            )
    pytest.fail("frames differ, but no single column does (row order?)")


def assert_fast_matches_reference(path: Path, **extra: Any) -> pl.DataFrame:
    """Read ``path`` both ways: no rejections, equal frames. Returns the fast frame."""
    ref, rejections = read_reference(path, **extra)
    assert rejections == []
    fast = read_fast(path, **extra)
    assert_same_frames(fast, ref)
    return fast


def spy_on_handovers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The source ids the fast reader hands to the reference one by one, as it does so."""
    handed: list[str] = []
    original = fast_module._FastReader._reference

    def spy(self: Any, raw: pl.DataFrame, record: pl.Series, wanted: pl.Series) -> pl.DataFrame:
        frame = original(self, raw, record, wanted)
        handed.extend(frame["source_id"].to_list())
        return frame

    monkeypatch.setattr(fast_module._FastReader, "_reference", spy)
    return handed


def assert_refused(path: Path, **extra: Any) -> None:
    """The fast reader applies to ``path`` but stops with :class:`Unsuitable`."""
    with open_records(path, **options(**extra)) as stream:
        frames = fast_frames(stream, path)
        assert frames is not None
        with pytest.raises(Unsuitable):
            list(frames)


@pytest.fixture
def header(servicenow_sample: Path) -> list[str]:
    """The header of the shared ServiceNow audit-log sample (conftest.py finds it)."""
    with servicenow_sample.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def update(number: str, state: str, seq: int, updated: str, **cells: str) -> Row:
    """One audit-log row (one update of incident ``number``); ``cells`` override columns."""
    row = {
        "number": number,
        "incident_state": state,
        "active": "FALSE" if state == "Closed" else "TRUE",
        "reassignment_count": "0",
        "reopen_count": "0",
        "sys_mod_count": str(seq),
        "made_sla": "TRUE",
        "caller_id": "Caller 1",
        "opened_by": "Opened by 1",
        "opened_at": "13-03-2023 01:16",
        "sys_created_by": "Created by 1",
        "sys_created_at": "13-03-2023 01:16",
        "sys_updated_by": "Updated by 1",
        "sys_updated_at": updated,
        "contact_type": "Phone",
        "location": "Location 1",
        "category": "Category 1",
        "subcategory": "Subcategory 1",
        "u_symptom": "Symptom 1",
        "cmdb_ci": "?",
        "impact": "2 - Medium",
        "urgency": "2 - Medium",
        "priority": "3 - Moderate",
        "assignment_group": "Group 1",
        "assigned_to": "?",
        "knowledge": "TRUE",
        "u_priority_confirmation": "FALSE",
        "notify": "Do Not Notify",
        "problem_id": "?",
        "rfc": "?",
        "vendor": "?",
        "caused_by": "?",
        "closed_code": "code 5",
        "resolved_by": "Resolved by 1",
        "resolved_at": "?",
        "closed_at": "?",
    }
    unknown = set(cells) - set(row)
    assert not unknown, f"not a column of the sample: {unknown}"
    row.update(cells)
    return row


def lifecycle(number: str, opened: str, times: Iterable[str], **cells: str) -> list[Row]:
    """A plain incident: New, Active, Resolved, Closed at ``times`` (four of them)."""
    states = ("New", "Active", "Resolved", "Closed")
    times = list(times)
    return [
        update(number, state, seq, at, opened_at=opened, sys_created_at=opened, **cells)
        for seq, (state, at) in enumerate(zip(states, times, strict=True))
    ]


def plain_rows() -> list[Row]:
    """Three plain incidents of four rows each (rows 2-13)."""
    return [
        *lifecycle(
            "INC0000040",
            "13-03-2023 01:00",
            ["13-03-2023 01:00", "13-03-2023 02:00", "13-03-2023 03:00", "13-03-2023 04:00"],
        ),
        *lifecycle(
            "INC0000041",
            "14-03-2023 01:00",
            ["14-03-2023 01:00", "14-03-2023 02:00", "14-03-2023 03:00", "14-03-2023 04:00"],
        ),
        *lifecycle(
            "INC0000042",
            "15-03-2023 01:00",
            ["15-03-2023 01:00", "15-03-2023 02:00", "15-03-2023 03:00", "15-03-2023 04:00"],
        ),
    ]


@pytest.fixture
def write_rows(tmp_path: Path, header: list[str]) -> Write:
    """Write rows (dicts over the sample's header) as a CSV export; return its path.

    ``newline`` is the line end, ``last_newline=False`` leaves the last line open,
    ``encoding`` the file's encoding; cells are quoted where CSV needs it.
    """

    def write(
        rows: list[Row],
        name: str = "export.csv",
        *,
        newline: str = "\n",
        last_newline: bool = True,
        encoding: str = "utf-8",
        columns: list[str] | None = None,
    ) -> Path:
        names = columns or header
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, lineterminator=newline)
            writer.writerow(names)
            for row in rows:
                writer.writerow([row.get(column, "") for column in names])
        if not last_newline:
            data = path.read_bytes()
            assert data.endswith(newline.encode())
            path.write_bytes(data[: -len(newline)])
        return path

    return write


def load_generator() -> Any:
    """bench/ingest/bench_ingest.py as a module (as bench/operations/bench_import.py does)."""
    spec = importlib.util.spec_from_file_location(
        "bench_ingest", ROOT / "bench/ingest/bench_ingest.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the shared sample and generated files ---------------------------------------------------


@pytest.mark.parametrize("tz", ["UTC", AMSTERDAM])
def test_the_sample_reads_the_same_both_ways(servicenow_sample: Path, tz: str) -> None:
    """The shared sample's 890 incidents come out of the fast reader exactly as out of the
    reference, in UTC and in a zone with daylight saving."""
    fast = assert_fast_matches_reference(servicenow_sample, tz=tz)
    assert fast.height == 890
    assert fast["rows"].sum() == 5998


def test_a_generated_export_reads_the_same_both_ways(tmp_path: Path) -> None:
    """20,000 rows from the benchmark's generator (waits, reassignments, priority changes,
    Amsterdam times) read the same both ways."""
    path = tmp_path / "generated.csv"
    rows, incidents = load_generator().generate(path, 20_000)
    fast = assert_fast_matches_reference(path, tz=AMSTERDAM)
    assert fast.height == incidents
    assert fast["rows"].sum() == rows


# -- records the fast reader hands to the reference -----------------------------------------


def test_daylight_saving_gap_and_fold_read_the_same(
    write_rows: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Updates in the spring-forward gap (02:30 on 26 March 2023 does not exist in
    Amsterdam) and in the autumn fold (02:30 on 29 October 2023 happens twice), including a
    fold whose second update's clock time goes back, come out as the reference's, without
    the fast reader giving up on the file."""
    rows = [
        *lifecycle(
            "INC0000001",
            "26-03-2023 01:10",
            ["26-03-2023 01:10", "26-03-2023 02:30", "26-03-2023 03:05", "27-03-2023 09:00"],
        ),
        *lifecycle(
            "INC0000002",
            "26-03-2023 02:15",
            ["26-03-2023 02:15", "26-03-2023 02:45", "26-03-2023 04:00", "28-03-2023 10:00"],
        ),
        *lifecycle(
            "INC0000003",
            "29-10-2023 02:30",
            ["29-10-2023 02:30", "29-10-2023 02:40", "29-10-2023 03:10", "30-10-2023 09:00"],
        ),
        # Within the fold: 02:50 (summer time), then 02:10 (winter time, 20 minutes later).
        *lifecycle(
            "INC0000004",
            "29-10-2023 02:50",
            ["29-10-2023 02:50", "29-10-2023 02:10", "29-10-2023 02:55", "30-10-2023 11:00"],
        ),
        # Plain records around them, read in columns.
        *lifecycle(
            "INC0000005",
            "14-10-2023 08:00",
            ["14-10-2023 08:00", "14-10-2023 09:00", "15-10-2023 10:00", "16-10-2023 10:00"],
        ),
    ]
    path = write_rows(rows)
    handed = spy_on_handovers(monkeypatch)
    fast = assert_fast_matches_reference(path, tz=AMSTERDAM)
    assert fast.height == 5
    assert sorted(handed) == ["INC0000001", "INC0000002", "INC0000003", "INC0000004"]


@pytest.mark.parametrize(
    ("tz", "times"),
    [
        # Lord Howe Island moves its clocks by half an hour: 01:30-02:00 happens twice on
        # 2 April 2023, and 02:00-02:30 does not exist on 1 October 2023.
        (
            "Australia/Lord_Howe",
            ["02-04-2023 01:20", "02-04-2023 01:45", "02-04-2023 01:35", "02-04-2023 02:10"],
        ),
        (
            "Australia/Lord_Howe",
            ["01-10-2023 01:50", "01-10-2023 02:10", "01-10-2023 02:40", "01-10-2023 03:10"],
        ),
        # New York: the fold of 5 November 2023, going back twice within it.
        (
            "America/New_York",
            ["05-11-2023 01:20", "05-11-2023 01:45", "05-11-2023 01:05", "05-11-2023 01:30"],
        ),
        # Offsets that are not whole hours (Amsterdam before 1940, Kathmandu).
        (
            "Europe/Amsterdam",
            ["30-06-1937 23:50", "01-07-1937 00:10", "01-07-1937 00:40", "01-07-1937 03:10"],
        ),
        (
            "Asia/Kathmandu",
            ["13-03-2023 01:20", "13-03-2023 01:45", "13-03-2023 02:05", "13-03-2023 03:30"],
        ),
    ],
)
def test_other_zones_read_the_same(write_rows: Write, tz: str, times: list[str]) -> None:
    """Half-hour daylight-saving changes, a fold entered twice and odd historical offsets
    read the same both ways, beside plain records."""
    rows = [*lifecycle("INC0000006", times[0], times), *plain_rows()]
    path = write_rows(rows)
    fast = assert_fast_matches_reference(path, tz=tz)
    assert fast.height == 4


def test_keep_previous_groups_priorities_reopens_and_quoted_cells(write_rows: Write) -> None:
    """Histories the fast reader builds in columns: ``-100`` (keep the previous status)
    in the middle and as a record's first row, assignment groups changing and coming back,
    priorities changing with an empty priority cell in between, a reopened incident, and
    quoted cells with quotes, commas and non-ASCII characters."""
    odd_group = 'Service "Désk", Zürich ✓'
    rows = [
        # -100 in the middle (keeps Active), then on to Resolved and Closed.
        update("INC0000010", "New", 0, "13-03-2023 01:20"),
        update("INC0000010", "Active", 1, "13-03-2023 02:00"),
        update("INC0000010", "-100", 2, "13-03-2023 03:00", assignment_group="Group 2"),
        update("INC0000010", "Resolved", 3, "13-03-2023 04:00"),
        update("INC0000010", "Closed", 4, "14-03-2023 04:00"),
        # -100 as the first row (the status starts as new), then twice in a row.
        update("INC0000011", "-100", 0, "13-03-2023 01:30"),
        update("INC0000011", "-100", 1, "13-03-2023 01:40"),
        update("INC0000011", "Active", 2, "13-03-2023 02:00"),
        update("INC0000011", "-100", 3, "13-03-2023 02:30", assignment_group="Group 9"),
        update("INC0000011", "Closed", 4, "15-03-2023 02:30"),
        # Groups A -> B -> A -> A -> C: reassigned, and back.
        update("INC0000012", "New", 0, "13-03-2023 05:00", assignment_group="Group A"),
        update("INC0000012", "Active", 1, "13-03-2023 06:00", assignment_group="Group B"),
        update("INC0000012", "Active", 2, "13-03-2023 07:00", assignment_group="Group A"),
        update("INC0000012", "Active", 3, "13-03-2023 08:00", assignment_group="Group A"),
        update("INC0000012", "Resolved", 4, "13-03-2023 09:00", assignment_group="Group C"),
        # Priorities 3 -> 2 -> (empty) -> 1 -> 1, and an empty group on the way.
        update("INC0000013", "New", 0, "13-03-2023 05:00", priority="3 - Moderate"),
        update("INC0000013", "Active", 1, "13-03-2023 06:00", priority="2 - High"),
        update("INC0000013", "Active", 2, "13-03-2023 07:00", priority="", assignment_group=""),
        update("INC0000013", "Active", 3, "13-03-2023 08:00", priority="1 - Critical"),
        update("INC0000013", "Resolved", 4, "13-03-2023 09:00", priority="1 - Critical"),
        # Priorities: empty on the first row, "?" in the middle.
        update("INC0000014", "New", 0, "13-03-2023 05:00", priority=""),
        update("INC0000014", "Active", 1, "13-03-2023 06:00", priority="4 - Low"),
        update("INC0000014", "Active", 2, "13-03-2023 06:30", priority="?"),
        update("INC0000014", "Closed", 3, "13-03-2023 07:00", priority="4 - Low"),
        # Reopened: Resolved, Active again, Resolved, Closed.
        update("INC0000015", "New", 0, "13-03-2023 05:00"),
        update("INC0000015", "Active", 1, "13-03-2023 06:00"),
        update("INC0000015", "Resolved", 2, "13-03-2023 07:00", resolved_at="13-03-2023 07:00"),
        update("INC0000015", "Active", 3, "14-03-2023 07:00", reopen_count="1"),
        update(
            "INC0000015",
            "Resolved",
            4,
            "14-03-2023 09:00",
            reopen_count="1",
            resolved_at="14-03-2023 09:00",
        ),
        update(
            "INC0000015",
            "Closed",
            5,
            "19-03-2023 09:00",
            reopen_count="1",
            resolved_at="14-03-2023 09:00",
            closed_at="19-03-2023 09:00",
        ),
        # Quoted cells: a group and a category with quotes, commas and non-ASCII text.
        update("INC0000016", "New", 0, "13-03-2023 05:00", assignment_group=odd_group),
        update(
            "INC0000016",
            "Active",
            1,
            "13-03-2023 06:00",
            assignment_group="Équipe «réseau», Genève",
            category='Category "7", ß',
        ),
        update(
            "INC0000016",
            "Closed",
            2,
            "13-03-2023 08:00",
            assignment_group=odd_group,
            category='Category "7", ß',
        ),
        # A record of one row.
        update("INC0000017", "Active", 0, "13-03-2023 05:00"),
    ]
    path = write_rows(rows)
    assert b'"Service ""D' in path.read_bytes()  # the cells really are quoted
    fast = assert_fast_matches_reference(path, tz=AMSTERDAM)
    assert fast.height == 8
    by_id = {row["source_id"]: row for row in fast.iter_rows(named=True)}
    assert by_id["INC0000015"]["reopen_count"] == 1
    assert by_id["INC0000016"]["assignment_group"] == odd_group


def test_keep_previous_mapped_by_the_caller(write_rows: Write) -> None:
    """A status the caller maps to ``keep_previous`` (``Awaiting Evidence`` here) is read
    the same both ways, also as a record's first and last row."""
    rows = [
        update("INC0000020", "Awaiting Evidence", 0, "13-03-2023 01:20"),
        update("INC0000020", "Active", 1, "13-03-2023 02:00"),
        update("INC0000020", "Awaiting Evidence", 2, "13-03-2023 03:00"),
        update("INC0000020", "Resolved", 3, "13-03-2023 04:00"),
        update("INC0000020", "Awaiting Evidence", 4, "13-03-2023 05:00"),
        *lifecycle(
            "INC0000021",
            "13-03-2023 01:00",
            ["13-03-2023 01:00", "13-03-2023 02:00", "13-03-2023 03:00", "13-03-2023 04:00"],
        ),
    ]
    path = write_rows(rows)
    maps = {"status": {"Awaiting Evidence": "keep_previous"}}
    fast = assert_fast_matches_reference(path, value_maps=maps)
    assert fast.height == 2


def test_updates_out_of_order_read_the_same(
    write_rows: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records whose updates need sorting out are handed to the reference inside the fast
    reader, and the result is the reference's: two rows of the same ``sys_mod_count`` (both
    fitting; one after the next update, left out with a note), and rows out of time order
    in the file whose update numbers put them in order."""
    rows = [
        # Two rows with sys_mod_count 1 at the same time: both kept.
        update("INC0000030", "New", 0, "13-03-2023 01:20"),
        update("INC0000030", "Active", 1, "13-03-2023 02:00"),
        update("INC0000030", "Active", 1, "13-03-2023 02:00", assignment_group="Group 2"),
        update("INC0000030", "Resolved", 2, "13-03-2023 04:00"),
        # Two rows with sys_mod_count 1, one timed after update 2: left out with a note.
        update("INC0000031", "New", 0, "13-03-2023 05:00"),
        update("INC0000031", "Active", 1, "13-03-2023 06:00"),
        update("INC0000031", "Active", 1, "13-03-2023 23:00", assignment_group="Group 3"),
        update("INC0000031", "Resolved", 2, "13-03-2023 07:00"),
        # Rows out of time order in the file, in order by update number.
        update("INC0000032", "New", 0, "13-03-2023 05:00"),
        update("INC0000032", "Resolved", 2, "13-03-2023 07:00"),
        update("INC0000032", "Active", 1, "13-03-2023 06:00"),
        update("INC0000032", "Closed", 3, "13-03-2023 08:00"),
        *lifecycle(
            "INC0000033",
            "13-03-2023 01:00",
            ["13-03-2023 01:00", "13-03-2023 02:00", "13-03-2023 03:00", "13-03-2023 04:00"],
        ),
    ]
    path = write_rows(rows)
    handed = spy_on_handovers(monkeypatch)
    fast = assert_fast_matches_reference(path, tz=AMSTERDAM)
    assert fast.height == 4
    assert sorted(handed) == ["INC0000030", "INC0000031", "INC0000032"]
    notes = fast.filter(pl.col("source_id") == "INC0000031")["notes"].to_list()[0]
    assert len(notes) == 1 and "row 8" in notes[0]


# -- files the fast reader leaves to the reference ------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("sys_updated_at", "31-02-2023 10:00"),  # no 31 February
        ("sys_updated_at", "14-03-2023 25:00"),  # no hour 25
        ("opened_at", "14-13-2023 01:00"),  # no month 13
        ("closed_at", "not a date"),
    ],
)
def test_an_unreadable_cell_stops_the_fast_reader(
    write_rows: Write, column: str, value: str
) -> None:
    """A cell that cannot be read stops the fast reader; the reference rejects its row."""
    rows = plain_rows()
    rows[5][column] = value  # INC0000041's second row
    path = write_rows(rows)
    assert_refused(path)
    _, rejections = read_reference(path)
    assert any(r.row_number == 7 and column in r.columns for r in rejections), rejections


def test_a_short_row_stops_the_fast_reader(write_rows: Write) -> None:
    """A row one cell short of the header stops the fast reader (Polars would pad it);
    the reference rejects it."""
    path = write_rows(plain_rows())
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[6] = lines[6].rstrip("\n").rsplit(",", 1)[0] + "\n"  # row 7 loses closed_at
    path.write_text("".join(lines), encoding="utf-8")
    assert_refused(path)
    _, rejections = read_reference(path)
    assert any(rejection.row_number == 7 for rejection in rejections)


def test_a_blank_line_stops_the_fast_reader(write_rows: Write) -> None:
    """A blank line in the middle stops the fast reader. The reference skips it (counting
    it in the row numbers) and rejects nothing, so the caller's fallback gives the records
    with the reference's row numbers."""
    path = write_rows(plain_rows())
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(6, "\n")  # between INC0000041's first and second rows
    path.write_text("".join(lines), encoding="utf-8")
    assert_refused(path)
    ref, rejections = read_reference(path)
    assert rejections == []
    assert ref.height == 3
    assert ref.filter(pl.col("source_id") == "INC0000042")["row_number"].to_list() == [14]


def test_an_id_coming_back_stops_the_fast_reader(write_rows: Write) -> None:
    """An id whose rows come back after another id's stops the fast reader; the reference
    rejects the later rows (the file should be sorted or read with ``two_pass``)."""
    rows = plain_rows()
    rows.append(update("INC0000040", "Closed", 4, "20-03-2023 04:00"))
    path = write_rows(rows)
    assert_refused(path)
    _, rejections = read_reference(path)
    assert any(rejection.row_number == 14 for rejection in rejections)


def test_an_id_coming_back_across_blocks_stops_the_fast_reader(
    write_rows: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ids met in earlier blocks are remembered: an id coming back in a later block
    stops the fast reader too."""
    rows = plain_rows()
    rows.append(update("INC0000040", "Closed", 4, "20-03-2023 04:00"))
    path = write_rows(rows)
    monkeypatch.setattr(fast_module, "BLOCK_BYTES", 512)
    assert_refused(path)


# -- files the fast reader does not apply to -------------------------------------------------


def test_a_history_going_back_in_time_stops_the_fast_reader(write_rows: Write) -> None:
    """A time going backwards between updates in order of their numbers is a rejection of
    the reference's; the fast reader hands the record to the reference and stops."""
    rows = plain_rows()
    rows[6]["sys_updated_at"] = "14-03-2023 00:30"  # INC0000041's 3rd update, before the 1st
    path = write_rows(rows)
    assert_refused(path, tz=AMSTERDAM)
    _, rejections = read_reference(path, tz=AMSTERDAM)
    assert {r.source_id for r in rejections} == {"INC0000041"}
    assert any("out of order" in r.reason for r in rejections)


def test_a_latin1_file_is_not_for_the_fast_reader(write_rows: Write) -> None:
    """A Latin-1 file with a non-ASCII character is left to the reference (``None``)."""
    rows = plain_rows()
    rows[1]["assignment_group"] = "Équipe réseau"
    path = write_rows(rows, encoding="latin-1")
    with open_records(path, **options()) as stream:
        assert stream.format.encoding not in ("utf-8", "utf_8", "utf-8-sig")
        assert fast_frames(stream, path) is None


def test_a_plain_export_is_not_for_the_fast_reader(write_rows: Write) -> None:
    """A one-row-per-record export (no id repeats) is left to the reference (``None``)."""
    rows = [
        update(f"INC00000{n}", "Closed", 3, f"1{n % 9}-03-2023 04:00", closed_at="20-03-2023 01:00")
        for n in range(50, 60)
    ]
    path = write_rows(rows)
    with open_records(path, **options()) as stream:
        assert not stream.audit_log
        assert fast_frames(stream, path) is None


def test_a_line_end_inside_a_quoted_cell_reads_the_same(write_rows: Write) -> None:
    """A quoted cell spanning two lines is one row (the reference's row numbers count it
    once), and the fast reader reads it the same as the reference."""
    rows = plain_rows()
    rows[2]["category"] = "Category\nwith a second line"
    rows[3]["category"] = "Category\nwith a second line"
    path = write_rows(rows)
    fast = assert_fast_matches_reference(path)
    assert fast.filter(pl.col("source_id") == "INC0000042")["row_number"].to_list() == [13]


# -- line ends --------------------------------------------------------------------------------


def test_crlf_line_ends_read_the_same(write_rows: Write) -> None:
    """A file with CRLF line ends (and a quoted cell with a comma) reads the same both
    ways."""
    rows = plain_rows()
    rows[2]["assignment_group"] = 'Group "CR", LF'
    path = write_rows(rows, newline="\r\n")
    assert path.read_bytes().count(b"\r\n") == len(rows) + 1
    fast = assert_fast_matches_reference(path)
    assert fast.height == 3


def test_a_last_line_without_a_line_end_reads_the_same(write_rows: Write) -> None:
    """A file whose last line has no line end (LF and CRLF files) reads the same both
    ways, the last record included."""
    for newline in ("\n", "\r\n"):
        path = write_rows(plain_rows(), newline=newline, last_newline=False)
        assert not path.read_bytes().endswith(b"\n")
        fast = assert_fast_matches_reference(path)
        assert fast.height == 3
        assert fast.filter(pl.col("source_id") == "INC0000042")["rows"].to_list() == [4]


def test_small_blocks_read_the_same(
    servicenow_sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With blocks of a few kilobytes, records spanning blocks are carried over whole: the
    sample still reads the same as the reference."""
    monkeypatch.setattr(fast_module, "BLOCK_BYTES", 4096)
    frame = assert_fast_matches_reference(servicenow_sample, tz=AMSTERDAM)
    assert frame.height == 890


def test_timestamps_that_repeat_read_the_same(
    write_rows: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where few of a block's timestamps are distinct, each distinct text is worked out once
    and mapped back to its cells, those the reference must read (a daylight-saving gap)
    included."""
    plain = ["13-03-2023 01:00", "13-03-2023 02:00", "14-03-2023 03:00", "15-03-2023 04:00"]
    gap = ["25-03-2023 01:00", "25-03-2023 02:00", "26-03-2023 02:30", "27-03-2023 04:00"]
    rows = [
        row
        for n in range(40)
        for row in lifecycle(f"INC{n:07d}", (plain, gap)[n % 2][0], (plain, gap)[n % 2])
    ]
    path = write_rows(rows)
    worked_out: list[int] = []
    original = fast_module._FastReader._distinct_instants

    def spy(self: Any, cells: pl.Series) -> tuple[pl.Series, pl.Series]:
        worked_out.append(len(cells))
        return original(self, cells)

    monkeypatch.setattr(fast_module._FastReader, "_distinct_instants", spy)
    handed = spy_on_handovers(monkeypatch)
    fast = assert_fast_matches_reference(path, tz=AMSTERDAM)
    assert fast.height == 40
    assert len(handed) == 20
    # 160 update times and 120 last-row times, of 9 distinct texts ("?" among them); the
    # last record is read on its own, at the end.
    assert worked_out and max(worked_out) <= 9
