"""Reading ITSM tool exports into normalised records: the pure ingest library (no Django).

``open_records(file, source=..., kind=..., tz=...)`` opens a CSV or XLSX export and yields
:class:`NormalisedRecord` objects and :class:`Rejection` objects (every row that gave no
record, with its row number and reason). How files, values, sources and histories are read
is documented where it is done: :mod:`.reading` (encodings, delimiters, row numbers),
:mod:`.values` (empties, booleans, numbers, durations, timestamps, time zones and daylight
saving), :mod:`.profiles` and :mod:`.valuemaps` (the tools' columns and values),
:mod:`.history` (status histories), :mod:`.stream` (grouping and memory), :mod:`.mapping`
(column mapping suggestions) and :mod:`.clock` (input for the SLA clock's bulk path).
"""

from .clock import DEFAULT_CLOCK_POLICY, clock_columns, priority_histories, status_changes
from .fields import FIELD_BY_NAME, FIELDS, ColumnMapping, FieldSpec, header_key
from .mapping import MappingSuggestion, resolve_columns, suggest_mapping
from .profiles import PROFILES, SOURCES, Profile, SourceName, profile_for
from .reading import TableFormat, detect_delimiter, detect_encoding, open_table
from .records import (
    IngestError,
    Kind,
    NormalisedRecord,
    Priority,
    PriorityEntry,
    Rejection,
    Status,
    StatusEntry,
)
from .stream import SAMPLE_ROWS, Grouping, Item, RecordStream, open_records
from .valuemaps import KEEP_PREVIOUS
from .values import DateOrder, TimestampParser, ValueProblem, detect_date_order

__all__ = [
    "DEFAULT_CLOCK_POLICY",
    "FIELDS",
    "FIELD_BY_NAME",
    "KEEP_PREVIOUS",
    "PROFILES",
    "SAMPLE_ROWS",
    "SOURCES",
    "ColumnMapping",
    "DateOrder",
    "FieldSpec",
    "Grouping",
    "IngestError",
    "Item",
    "Kind",
    "MappingSuggestion",
    "NormalisedRecord",
    "Priority",
    "PriorityEntry",
    "Profile",
    "RecordStream",
    "Rejection",
    "SourceName",
    "Status",
    "StatusEntry",
    "TableFormat",
    "TimestampParser",
    "ValueProblem",
    "clock_columns",
    "detect_date_order",
    "detect_delimiter",
    "detect_encoding",
    "header_key",
    "open_records",
    "open_table",
    "priority_histories",
    "profile_for",
    "resolve_columns",
    "status_changes",
    "suggest_mapping",
]
