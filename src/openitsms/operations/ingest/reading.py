"""Open a CSV or XLSX export as a stream of rows, with flat memory as files grow.

CSV is decoded incrementally (:class:`io.TextIOWrapper` over the binary file) and split by
the :mod:`csv` module, so only the current row and a small read buffer are in memory. XLSX
goes through openpyxl's ``read_only`` mode, which also streams the sheet's XML but is some
thirty times slower than CSV (``bench/ingest/README.md``): large exports should be CSV.

**Encoding** (CSV), decided from the first 64 KiB unless the caller forces one:

1. a byte-order mark decides: UTF-8, UTF-16 LE or UTF-16 BE (reported with ``bom=True``);
2. without one, NUL bytes at every other position mean UTF-16 without a BOM (a text export
   never contains NUL otherwise) — LE when the NULs are the odd bytes, BE when even;
3. a sample that decodes as UTF-8 is UTF-8 (plain ASCII included);
4. otherwise the file is in a single-byte Western encoding: Windows-1252 when the sample
   holds bytes 0x80–0x9F that Windows-1252 defines (``€``, curly quotes: what Excel writes on
   Windows; Latin-1 would turn them into invisible control characters), else Latin-1, which
   decodes any byte, so reading never fails half-way for it.

A later byte that contradicts the choice (an ASCII-only start, then Latin-1 accents) stops
the run with an :class:`IngestError` naming the row, so that the caller can force the
encoding; it is never silently replaced.

**Delimiter** (CSV), from complete lines of the same sample: each of ``,`` ``;`` and tab is
tried on the header and the following rows. A candidate must split the header into more
than one column, and one that gives every row the header's width wins. When several
remain, :class:`csv.Sniffer` chooses among them, and failing that the one giving the most
columns. Consistency is checked before the Sniffer because the Sniffer alone prefers ``,``
and so misreads ``;`` files with decimal commas (``1,5``). A file whose header has a single
column is read with ``,``.

**Rows** are numbered as a spreadsheet shows them: the header is row 1 and a quoted value
spanning lines is still one row. Blank rows are skipped but counted; leading blank rows
before the header are skipped. A row whose width differs from the header's (trailing
empty cells aside) is a :class:`Rejection`, as is an XLSX row holding a formula: an export
holds values, and a formula's cached result may be missing or stale.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import IO, Any, Final, Literal

from .records import IngestError, Rejection

FileFormat = Literal["csv", "xlsx"]
TableSource = str | os.PathLike[str] | IO[bytes]
RowItem = tuple[int, list[str]] | Rejection

SAMPLE_BYTES: Final = 64 * 1024
CANDIDATE_DELIMITERS: Final = (",", ";", "\t")
_SNIFF_ROWS: Final = 50

_ESCAPED: Final = re.compile("[\udc80-\udcff]")  # undecodable bytes, as surrogateescape shows them
_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0"  # legacy .xls
_CP1252_ONLY: Final = frozenset(range(0x80, 0xA0)) - {0x81, 0x8D, 0x8F, 0x90, 0x9D}


@dataclass(frozen=True)
class TableFormat:
    """How the file was read; ``*_detected`` is false when the caller forced the value.

    ``encoding`` is a Python codec name (``utf-8``, ``utf-16-le``, ``cp1252``, ``latin-1``)
    and ``bom`` says whether the file starts with a byte-order mark. Both are ``None`` /
    false for XLSX, which has neither encoding nor delimiter; ``sheet`` is set for XLSX.
    """

    file_format: FileFormat
    encoding: str | None = None
    bom: bool = False
    delimiter: str | None = None
    encoding_detected: bool = False
    delimiter_detected: bool = False
    sheet: str | None = None


def detect_encoding(sample: bytes, *, complete: bool = False) -> tuple[str, bool]:
    """The codec name for a file starting with ``sample``, and whether it has a BOM.

    ``complete`` says the sample is the whole file (so it may not end mid-character).
    The rule is in the module docstring.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8", True
    if sample.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", True
    if sample.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", True
    head = sample[:4096]
    if b"\x00" in head and len(head) >= 2:
        pairs = len(head) // 2
        odd_nuls = head[1::2].count(0)
        even_nuls = head[0::2].count(0)
        if odd_nuls * 2 >= pairs and even_nuls * 8 < pairs:
            return "utf-16-le", False
        if even_nuls * 2 >= pairs and odd_nuls * 8 < pairs:
            return "utf-16-be", False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", False
    if any(byte in _CP1252_ONLY for byte in sample):
        try:
            sample.decode("cp1252")
        except UnicodeDecodeError:
            pass
        else:
            return "cp1252", False
    return "latin-1", False


def detect_delimiter(sample: str, *, complete: bool = False) -> str:
    """The delimiter of CSV text starting with ``sample`` (rule in the module docstring).

    ``complete`` says the sample is the whole file; otherwise its last, possibly cut,
    row is ignored.
    """
    widths: dict[str, list[int]] = {}
    for candidate in CANDIDATE_DELIMITERS:
        rows = []
        try:
            for row in csv.reader(io.StringIO(sample), delimiter=candidate):
                if row and any(cell.strip() for cell in row):
                    rows.append(len(row))
                if len(rows) > _SNIFF_ROWS:
                    break
        except csv.Error:
            continue
        if not complete and len(rows) <= _SNIFF_ROWS and len(rows) > 1:
            rows.pop()  # the last row may be cut by the end of the sample
        if rows and rows[0] > 1:
            widths[candidate] = rows
    if not widths:
        return ","
    consistent = [c for c, rows in widths.items() if all(w == rows[0] for w in rows)]
    pool = consistent or list(widths)
    if len(pool) == 1:
        return pool[0]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(pool)).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in pool:
        return sniffed
    return max(pool, key=lambda c: widths[c][0])


@dataclass
class Table:
    """An opened export: its header, how it was read, and its rows (see :meth:`rows`).

    Use it as a context manager, or call :meth:`close`. A file object passed in by the
    caller is not closed.
    """

    headers: tuple[str, ...]
    format: TableFormat
    warnings: list[str] = field(default_factory=list)
    _stream: IO[bytes] | None = field(default=None, repr=False)
    _owns_stream: bool = field(default=False, repr=False)
    _header_row: int = field(default=1, repr=False)
    _reader: Iterator[list[str]] | None = field(default=None, repr=False)
    _text: io.TextIOWrapper | None = field(default=None, repr=False)
    _started: bool = field(default=False, repr=False)
    _workbook: Any = field(default=None, repr=False)

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None
        if self._text is not None:
            self._text.detach()
            self._text = None
        if self._owns_stream and self._stream is not None:
            self._stream.close()
        self._stream = None

    @property
    def bytes_read(self) -> int | None:
        """How far into the file reading has got, in bytes, for a progress bar.

        It runs ahead of the rows handed out by a read buffer (a few KiB). ``None`` for
        XLSX and for streams that cannot tell.
        """
        if self._stream is None or self.format.file_format == "xlsx":
            return None
        try:
            return self._stream.tell()
        except (OSError, ValueError, AttributeError):
            return None

    @property
    def rereadable(self) -> bool:
        """Whether :meth:`rows` may be called more than once (a path or a seekable file)."""
        if self._stream is None:
            return False
        try:
            return self._stream.seekable()
        except (AttributeError, ValueError):
            return False

    def rows(self) -> Iterator[RowItem]:
        """The data rows after the header, as ``(row_number, cells)`` or a :class:`Rejection`.

        Cells are strings exactly as written (XLSX values are turned into text: dates as
        ISO 8601, booleans as ``TRUE``/``FALSE``); every row has the header's width. A
        second call reads the file again from the start (see :attr:`rereadable`).
        """
        if self._stream is None:
            raise IngestError("the file is closed")
        first = not self._started
        self._started = True
        if not first and not self.rereadable:
            raise IngestError("this file cannot be read twice (it is not seekable)")
        if self.format.file_format == "xlsx":
            return self._xlsx_rows()
        if first and self._reader is not None:
            return self._csv_rows(self._reader, self._header_row)
        if self._text is not None:
            self._text.detach()
        self._stream.seek(0)
        self._text = _text_stream(self._stream, self.format)
        return self._csv_rows(csv.reader(self._text, delimiter=self.format.delimiter or ","), 0)

    def _csv_rows(self, reader: Iterator[list[str]], number: int) -> Iterator[RowItem]:
        """Rows from ``reader``, which has consumed ``number`` rows of the file so far."""
        width = len(self.headers)
        encoding = self.format.encoding
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError as error:
                # The text layer decodes ahead of the CSV reader, so find the exact row.
                row_number = self._undecodable_row() or number + 1
                raise IngestError(
                    f"row {row_number} has bytes that are not valid {encoding} "
                    f"({error.reason}); the encoding was chosen from the start of the file, "
                    "so choose the right one (for example cp1252 or latin-1) and try again",
                    row_number=row_number,
                ) from error
            except csv.Error as error:
                number += 1
                if number > self._header_row:
                    yield Rejection(number, None, f"the row cannot be read as CSV: {error}")
                continue
            number += 1
            if number <= self._header_row:
                continue
            if len(row) != width:
                if not row or not any(row):
                    continue  # blank line
                if len(row) > width and not any(row[width:]):
                    row = row[:width]
                else:
                    yield Rejection(
                        number,
                        None,
                        f"the row has {len(row)} values but the header has {width} columns "
                        "(a broken quote or a stray delimiter?)",
                    )
                    continue
            elif not any(row):
                continue
            yield number, row

    def _undecodable_row(self) -> int | None:
        """The number of the first row holding bytes the encoding cannot decode, if findable."""
        if self._stream is None or not self.rereadable:
            return None
        self._stream.seek(0)
        text = io.TextIOWrapper(
            self._stream,  # type: ignore[arg-type]
            encoding=_codec(self.format.encoding or "utf-8"),
            errors="surrogateescape",
            newline="",
        )
        try:
            reader = csv.reader(text, delimiter=self.format.delimiter or ",")
            for number, row in enumerate(reader, start=1):
                if any(_ESCAPED.search(cell) for cell in row):
                    return number
        except csv.Error:
            return None
        finally:
            text.detach()
        return None

    def _xlsx_rows(self) -> Iterator[RowItem]:
        sheet = self._workbook[self.format.sheet]
        width = len(self.headers)
        for number, cells in enumerate(sheet.iter_rows(min_row=1), start=1):
            if number <= self._header_row:
                continue
            values: list[str] = []
            formula: tuple[str, str] | None = None
            for cell in cells:
                if cell.data_type == "f" and formula is None:
                    formula = (getattr(cell, "coordinate", "?"), str(cell.value))
                values.append(_cell_text(cell.value))
            while len(values) > width and values[-1] == "":
                values.pop()
            if not any(values):
                continue
            if formula is not None:
                coordinate, text = formula
                column = "".join(ch for ch in coordinate if ch.isalpha())
                index = _column_index(column)
                header = self.headers[index] if 0 <= index < width else column
                yield Rejection(
                    number,
                    None,
                    f"cell {coordinate} ({header}) holds a formula ({text}); "
                    "save the sheet with values only and import it again",
                    (header,),
                )
                continue
            if len(values) > width:
                yield Rejection(
                    number, None, f"the row has {len(values)} values but the header has {width}"
                )
                continue
            values.extend([""] * (width - len(values)))
            yield number, values


def open_table(
    source: TableSource,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Table:
    """Open a CSV or XLSX export (told apart by content, not by name) and read its header.

    ``source`` is a path or a binary file object. ``encoding`` and ``delimiter`` force the
    CSV reading; ``sheet`` picks an XLSX sheet by name (the first one otherwise). Raises
    :class:`IngestError` for an empty file, an unknown encoding, a legacy ``.xls`` file or a
    file without a header row.
    """
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError as error:
            raise IngestError(f"unknown encoding {encoding!r}") from error
    if delimiter is not None and len(delimiter) != 1:
        raise IngestError(f"the delimiter must be one character, not {delimiter!r}")
    stream, owns = _open_binary(source)
    try:
        head = stream.read(SAMPLE_BYTES)
        if not head:
            raise IngestError("the file is empty")
        complete = len(head) < SAMPLE_BYTES
        if head.startswith(_OLE_MAGIC):
            raise IngestError("old .xls spreadsheets are not supported: save as .xlsx or CSV")
        if head.startswith(_ZIP_MAGIC):
            if not _seekable(stream):
                stream = io.BytesIO(head + stream.read())  # zip needs random access
                owns = True
            stream.seek(0)
            return _open_xlsx(stream, owns, sheet)
        stream = _rewound(stream, head)
        return _open_csv(stream, owns, head, complete, encoding, delimiter)
    except BaseException:
        if owns:
            stream.close()
        raise


def _open_csv(
    stream: IO[bytes],
    owns: bool,
    head: bytes,
    complete: bool,
    encoding: str | None,
    delimiter: str | None,
) -> Table:
    detected_encoding = encoding is None
    bom = False
    if encoding is None:
        encoding, bom = detect_encoding(head, complete=complete)
    else:
        bom = (encoding.startswith("utf-8") and head.startswith(codecs.BOM_UTF8)) or (
            encoding.startswith("utf-16") and head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        )
    try:
        sample = codecs.getincrementaldecoder(_codec(encoding))().decode(head, final=complete)
    except UnicodeDecodeError as error:
        raise IngestError(
            f"the start of the file is not valid {encoding} ({error.reason}); "
            "choose another encoding"
        ) from error
    detected_delimiter = delimiter is None
    if delimiter is None:
        delimiter = detect_delimiter(sample.lstrip("\ufeff"), complete=complete)
    table_format = TableFormat(
        file_format="csv",
        encoding=encoding,
        bom=bom,
        delimiter=delimiter,
        encoding_detected=detected_encoding,
        delimiter_detected=detected_delimiter,
    )
    text = _text_stream(stream, table_format)
    reader = csv.reader(text, delimiter=delimiter)
    header_row = 0
    headers: list[str] | None = None
    try:
        for row in reader:
            header_row += 1
            if row and any(cell.strip() for cell in row):
                headers = row
                break
    except (UnicodeDecodeError, csv.Error) as error:
        text.detach()
        raise IngestError(f"the header row cannot be read: {error}", row_number=1) from error
    if headers is None:
        text.detach()
        raise IngestError("the file has no header row")
    table = Table(
        headers=_clean_headers(headers),
        format=table_format,
        _stream=stream,
        _owns_stream=owns,
        _header_row=header_row,
        _reader=reader,
        _text=text,
    )
    table.warnings.extend(_header_warnings(table.headers))
    return table


def _open_xlsx(stream: IO[bytes], owns: bool, sheet: str | None) -> Table:
    import openpyxl  # imported here: CSV imports do not need it

    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise IngestError(f"the spreadsheet cannot be opened: {error}") from error
    names = workbook.sheetnames
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        workbook.close()
        raise IngestError(f"the spreadsheet has no sheet {sheet!r}; its sheets are {names}")
    header_row = 0
    headers: list[str] | None = None
    for number, cells in enumerate(workbook[sheet].iter_rows(min_row=1), start=1):
        values = [_cell_text(cell.value) for cell in cells]
        if any(value.strip() for value in values):
            header_row = number
            headers = values
            break
    if headers is None:
        workbook.close()
        raise IngestError(f"the sheet {sheet!r} has no header row")
    table = Table(
        headers=_clean_headers(headers),
        format=TableFormat(file_format="xlsx", sheet=sheet),
        _stream=stream,
        _owns_stream=owns,
        _header_row=header_row,
        _workbook=workbook,
    )
    table.warnings.extend(_header_warnings(table.headers))
    return table


def _seekable(stream: IO[bytes]) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError):
        return False


def _open_binary(source: TableSource) -> tuple[IO[bytes], bool]:
    if isinstance(source, str | os.PathLike):
        try:
            return open(source, "rb"), True  # noqa: SIM115 - closed by Table.close
        except OSError as error:
            raise IngestError(f"the file cannot be opened: {error}") from error
    return source, False


def _rewound(stream: IO[bytes], head: bytes) -> IO[bytes]:
    """The stream back at its start: seek when possible, else re-read ``head`` first."""
    if _seekable(stream):
        stream.seek(0)
        return stream
    return io.BufferedReader(_Prefixed(head, stream))  # type: ignore[arg-type]


class _Prefixed(io.RawIOBase):
    """A non-seekable stream with its already-read first bytes put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head.nbytes:
            n = min(len(buffer), self._head.nbytes)
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _codec(encoding: str) -> str:
    """The codec that decodes the file's bytes, dropping a UTF-8 BOM if there is one.

    A UTF-16 BOM is decoded as U+FEFF and dropped from the first header (a BOM-less codec
    is used so that the byte order stays the detected one).
    """
    if encoding in ("utf-8", "utf_8"):
        return "utf-8-sig"  # also reads a file without a BOM
    return encoding


def _text_stream(stream: IO[bytes], table_format: TableFormat) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        stream,  # type: ignore[arg-type]
        encoding=_codec(table_format.encoding or "utf-8"),
        errors="strict",
        newline="",
    )


def _clean_headers(headers: list[str]) -> tuple[str, ...]:
    cleaned = [header.replace("\ufeff", "").strip() for header in headers]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return tuple(cleaned)


def _header_warnings(headers: tuple[str, ...]) -> list[str]:
    seen: set[str] = set()
    warnings = []
    for header in headers:
        key = header.casefold()
        if key in seen:
            warnings.append(f"the column {header!r} appears more than once; the first is used")
        seen.add(key)
    return warnings


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return str(value)


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + (ord(letter) - ord("A") + 1)
    return index - 1
