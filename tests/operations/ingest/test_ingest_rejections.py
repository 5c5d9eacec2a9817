"""Every row that gives no record is listed with its row number, columns and a reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from openitsms.operations.ingest import NormalisedRecord, Rejection, open_records

WriteFile = Callable[..., Path]
Split = Callable[[list], tuple[list[NormalisedRecord], list[Rejection]]]

HEADER = "number,short_description,state,priority,opened_at,resolved_at,closed_at\n"


def read(path: Path, **options: object) -> list:
    options.setdefault("source", "servicenow")
    options.setdefault("kind", "incident")
    with open_records(path, **options) as stream:  # type: ignore[arg-type]
        return list(stream)


def test_each_bad_row_is_named_with_its_columns_and_values(
    write_file: WriteFile, split_items: Split
) -> None:
    path = write_file(
        HEADER
        + "INC1,fine,1,3 - Moderate,29-02-2016 01:16,,\n"
        + "INC2,bad date,1,3 - Moderate,30-02-2016 01:16,,\n"
        + "INC3,bad priority,1,9 - Whenever,01-03-2016 01:16,,\n"
        + ",no id,1,3 - Moderate,01-03-2016 01:16,,\n"
        + "INC5,two problems,Sleeping,Urgent-ish,01-03-2016 01:16,,\n"
        + "INC6,no opened time,1,3 - Moderate,?,,\n"
        + "INC7,fine,7,4 - Low,01-03-2016 01:16,01-03-2016 03:16,02-03-2016 03:16\n"
    )

    records, rejections = split_items(read(path))

    assert [r.source_id for r in records] == ["INC1", "INC7"]
    assert [(r.row_number, r.source_id, r.columns) for r in rejections] == [
        (3, "INC2", ("opened_at",)),
        (4, "INC3", ("priority",)),
        (5, None, ("number",)),
        (6, "INC5", ("state", "priority")),
        (7, "INC6", ("opened_at",)),
    ]
    reasons = [r.reason for r in rejections]
    assert reasons[0] == (
        "opened_at: '30-02-2016 01:16' is not a valid date "
        "(day is out of range for month; read day-first)"
    )
    assert reasons[1] == "priority: unknown priority '9 - Whenever' (add it to the priority map)"
    assert reasons[2] == "number: the id is empty"
    assert reasons[3] == (
        "state: unknown status 'Sleeping' (add it to the status map); "
        "priority: unknown priority 'Urgent-ish' (add it to the priority map)"
    )
    assert reasons[4] == "opened_at: the opened time is empty"


def test_milestones_out_of_order_are_rejected(write_file: WriteFile, split_items: Split) -> None:
    path = write_file(
        HEADER + "INC1,resolved before opened,6,3 - Moderate,01-03-2016 10:00,01-03-2016 09:00,\n"
    )

    records, rejections = split_items(read(path))

    assert records == []
    assert rejections == [
        Rejection(
            2,
            "INC1",
            "history out of order: the resolved time (2016-03-01 09:00 UTC) is earlier than "
            "the opened time (2016-03-01 10:00 UTC)",
        )
    ]


def test_a_broken_row_in_the_middle_is_named_and_the_rest_is_read(
    write_file: WriteFile, split_items: Split
) -> None:
    rows = [f"INC{n},ok,1,3 - Moderate,01-03-2016 01:16,,\n" for n in range(1, 2001)]
    rows[1199] = 'INC1200,"unterminated,1,3 - Moderate,01-03-2016 01:16,,\n'
    path = write_file(HEADER + "".join(rows))

    records, rejections = split_items(read(path))

    # The open quote swallows the rest of the file into one value: one row, named.
    assert len(records) == 1199
    assert [r.row_number for r in rejections] == [1201]
    assert "values but the header has 7 columns" in rejections[0].reason


def test_items_come_in_file_order(write_file: WriteFile) -> None:
    path = write_file(
        HEADER
        + "INC1,ok,1,3 - Moderate,01-03-2016 01:16,,\n"
        + "INC2,bad,1,3 - Moderate,nope,,\n"
        + "INC3,ok,1,3 - Moderate,01-03-2016 01:16,,\n"
    )

    items = read(path)

    assert [type(item).__name__ for item in items] == [
        "NormalisedRecord",
        "Rejection",
        "NormalisedRecord",
    ]


def test_the_stream_counts_rows_records_and_rejections(write_file: WriteFile) -> None:
    path = write_file(
        HEADER + "INC1,ok,1,3 - Moderate,01-03-2016 01:16,,\nINC2,bad,1,3 - Moderate,nope,,\n"
    )

    with open_records(path, source="servicenow", kind="incident") as stream:
        list(stream)
        assert (stream.rows_read, stream.records, stream.rejected_rows) == (2, 1, 1)
        described = stream.describe()

    assert described["profile"] == "servicenow_incident"
    assert described["columns"]["opened_at"] == "opened_at"
    assert described["audit_log"] is False
