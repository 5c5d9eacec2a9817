"""Opening exports: encodings, delimiters, row numbers, broken rows and spreadsheets."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from openitsms.operations.ingest import (
    IngestError,
    Rejection,
    detect_delimiter,
    detect_encoding,
    open_table,
)

WriteFile = Callable[..., Path]
TEXT = (
    "Number,Title,Opened\n"
    "INC1,Imprimante hors ligne – étage 2,29-02-2016 01:16\n"
    "INC2,Café ☕,01-03-2016 09:00\n"
)


def read_all(path: Path, **options: object) -> tuple[tuple[str, ...], list[object]]:
    with open_table(path, **options) as table:  # type: ignore[arg-type]
        return table.headers, list(table.rows())


@pytest.mark.parametrize(
    ("encoding", "detected", "bom"),
    [
        ("utf-8", "utf-8", False),
        ("utf-8-sig", "utf-8", True),
        ("utf-16", "utf-16-le", True),  # Python writes little-endian with a BOM
        ("utf-16-be-bom", "utf-16-be", True),
        ("utf-16-le", "utf-16-le", False),
    ],
)
def test_unicode_encodings_are_detected_and_read_the_same(
    tmp_path: Path, encoding: str, detected: str, bom: bool
) -> None:
    path = tmp_path / "export.csv"
    if encoding == "utf-16-be-bom":
        path.write_bytes(b"\xfe\xff" + TEXT.encode("utf-16-be"))
    else:
        path.write_bytes(TEXT.encode(encoding))

    with open_table(path) as table:
        rows = list(table.rows())
        assert table.format.encoding == detected
        assert table.format.bom is bom
        assert table.format.encoding_detected
        assert table.headers == ("Number", "Title", "Opened")
    assert rows == [
        (2, ["INC1", "Imprimante hors ligne – étage 2", "29-02-2016 01:16"]),
        (3, ["INC2", "Café ☕", "01-03-2016 09:00"]),
    ]


def test_latin1_is_the_fallback_when_the_start_is_not_utf8(write_file: WriteFile) -> None:
    path = write_file("Number;Title\nINC1;Café fermé\n", encoding="latin-1")

    headers, rows = read_all(path)

    with open_table(path) as table:
        assert table.format.encoding == "latin-1"
    assert rows == [(2, ["INC1", "Café fermé"])]


def test_windows_1252_is_chosen_when_its_curly_quotes_or_euro_appear(write_file: WriteFile) -> None:
    path = write_file("Number;Title\nINC1;Cost 5 € – ‘quoted’\n", encoding="cp1252")

    with open_table(path) as table:
        assert table.format.encoding == "cp1252"
        assert list(table.rows()) == [(2, ["INC1", "Cost 5 € – ‘quoted’"])]


def test_a_forced_encoding_wins_over_detection(write_file: WriteFile) -> None:
    path = write_file("Number,Title\nINC1,Ça va\n", encoding="latin-1")

    with open_table(path, encoding="cp1252") as table:
        assert table.format.encoding == "cp1252"
        assert not table.format.encoding_detected
        assert list(table.rows()) == [(2, ["INC1", "Ça va"])]


def test_an_unknown_forced_encoding_is_refused(write_file: WriteFile) -> None:
    path = write_file("Number\nINC1\n")

    with pytest.raises(IngestError, match="unknown encoding 'klingon'"):
        open_table(path, encoding="klingon")


def test_bytes_that_contradict_the_detected_encoding_stop_the_run_naming_the_row(
    tmp_path: Path,
) -> None:
    # The first 64 KiB are plain ASCII (so UTF-8 is chosen); a Latin-1 byte comes later.
    filler = "".join(f"INC{n},plain text\n" for n in range(2, 6000))
    path = tmp_path / "export.csv"
    path.write_bytes(("Number,Title\n" + filler).encode() + "INC9,Café\n".encode("latin-1"))

    with open_table(path) as table, pytest.raises(IngestError) as caught:
        list(table.rows())
    assert caught.value.row_number == 6000
    assert "not valid utf-8" in caught.value.message
    assert "cp1252 or latin-1" in caught.value.message


def test_utf8_detection_on_a_sample_ending_mid_character_still_works() -> None:
    sample = ("é" * 40000).encode()[: 64 * 1024 - 1]  # cut in the middle of a character
    assert detect_encoding(sample) == ("utf-8", False)


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("number,state,opened_at\nINC1,New,29-02-2016 01:16\n", ","),
        ("number;state;opened_at\nINC1;New;29-02-2016 01:16\n", ";"),
        ("number\tstate\topened_at\nINC1\tNew\t29-02-2016 01:16\n", "\t"),
        # decimal commas: ',' splits the rows but not the header, so ';' is consistent
        ("id;duration;cost\n1;1,5;2,25\n2;3,0;4,75\n", ";"),
        # a comma inside quotes does not count
        ('id,title\n1,"Printer; floor 2"\n2,"Mail, slow"\n', ","),
    ],
)
def test_delimiters_are_detected(text: str, delimiter: str) -> None:
    assert detect_delimiter(text, complete=True) == delimiter


def test_a_single_column_file_reads_with_a_comma() -> None:
    assert detect_delimiter("number\nINC1\nINC2\n", complete=True) == ","


def test_a_forced_delimiter_wins(write_file: WriteFile) -> None:
    path = write_file("a;b|c\n1;2|3\n")

    with open_table(path, delimiter="|") as table:
        assert table.headers == ("a;b", "c")
        assert not table.format.delimiter_detected


def test_row_numbers_count_spreadsheet_rows_not_lines(write_file: WriteFile) -> None:
    path = write_file(
        'Number,Title\r\nINC1,"two\r\nlines"\r\n\r\nINC2,after a blank row\r\nINC3,"x"\r\n'
    )

    headers, rows = read_all(path)

    assert rows == [
        (2, ["INC1", "two\r\nlines"]),
        (4, ["INC2", "after a blank row"]),
        (5, ["INC3", "x"]),
    ]


def test_leading_blank_rows_before_the_header_are_skipped_but_counted(
    write_file: WriteFile,
) -> None:
    path = write_file("\n\nNumber,Title\nINC1,x\n")

    headers, rows = read_all(path)

    assert headers == ("Number", "Title")
    assert rows == [(4, ["INC1", "x"])]


def test_a_row_of_the_wrong_width_is_rejected_with_its_row_number(write_file: WriteFile) -> None:
    path = write_file('Number,Title,State\nINC1,ok,New\nINC2,"broken, New\nINC3,ok,New\n')

    headers, rows = read_all(path)

    assert rows[0] == (2, ["INC1", "ok", "New"])
    assert isinstance(rows[1], Rejection)
    assert rows[1].row_number == 3
    assert "2 values but the header has 3 columns" in rows[1].reason


def test_trailing_empty_cells_beyond_the_header_are_ignored(write_file: WriteFile) -> None:
    path = write_file("Number,Title\nINC1,x,,\n")

    assert read_all(path)[1] == [(2, ["INC1", "x"])]


def test_an_empty_file_is_refused(write_file: WriteFile) -> None:
    path = write_file("")

    with pytest.raises(IngestError, match="the file is empty"):
        open_table(path)


def test_a_file_with_only_a_header_has_no_rows(write_file: WriteFile) -> None:
    headers, rows = read_all(write_file("Number,Title\n"))

    assert headers == ("Number", "Title")
    assert rows == []


def test_a_legacy_xls_file_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)

    with pytest.raises(IngestError, match="save as .xlsx or CSV"):
        open_table(path)


def test_a_non_seekable_stream_is_read_from_its_start() -> None:
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    stream = io.BufferedReader(OneWay("\ufeffNumber;Title\nINC1;x\n".encode()))

    with open_table(stream) as table:  # type: ignore[arg-type]
        assert table.headers == ("Number", "Title")
        assert table.format.bom
        assert list(table.rows()) == [(2, ["INC1", "x"])]
        assert not table.rereadable


def test_a_seekable_file_can_be_read_twice(write_file: WriteFile) -> None:
    with open_table(write_file("Number\nINC1\nINC2\n")) as table:
        first = list(table.rows())
        assert table.rereadable
        assert list(table.rows()) == first == [(2, ["INC1"]), (3, ["INC2"])]


def test_xlsx_values_become_text_and_formulas_are_rejected(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Incidents"
    sheet.append(["Number", "Opened", "Reassignments", "Made SLA", "Title"])
    sheet.append(["INC1", datetime(2016, 2, 29, 1, 16), 2, True, "Printer"])
    sheet.append([])
    sheet.append(["INC2", datetime(2016, 3, 1, 9, 0), 0.0, False, "=1+1"])
    path = tmp_path / "export.xlsx"
    workbook.save(path)

    with open_table(path) as table:
        rows = list(table.rows())
        assert table.format.file_format == "xlsx"
        assert table.format.sheet == "Incidents"
        assert table.format.encoding is None

    assert isinstance(rows[0], tuple)
    number, cells = rows[0]
    assert number == 2
    assert cells == ["INC1", "2016-02-29 01:16:00", "2", "TRUE", "Printer"]
    assert isinstance(rows[1], Rejection)
    assert rows[1].row_number == 4
    assert rows[1].columns == ("Title",)
    assert "cell E4 (Title) holds a formula" in rows[1].reason


def test_a_missing_xlsx_sheet_is_named(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    path = tmp_path / "export.xlsx"
    workbook.save(path)

    with pytest.raises(IngestError, match="no sheet 'Changes'"):
        open_table(path, sheet="Changes")


def test_bytes_read_follows_the_reading_for_a_progress_bar(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("Number,Title\n" + "".join(f"INC{n},x\n" for n in range(50_000)))
    size = path.stat().st_size

    with open_table(path) as table:
        rows = table.rows()
        for _ in range(10):
            next(rows)
        early = table.bytes_read
        for _ in rows:
            pass
        assert early is not None and early < size // 2
        assert table.bytes_read == size
