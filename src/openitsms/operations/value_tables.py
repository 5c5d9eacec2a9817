"""Value maps of saved mappings, for the pages and the API: which of our fields are read
through a value map, what each may hold, and each source's default tables.

The defaults come from the ingest library (the common table of the field's type, then the
source profile's own table and patterns), so what the pages show is what an import does. A
mapping's ``value_maps`` (``{field: {source value: our value}}``) are laid over them; lookups
ignore case, repeated blanks and ``_`` versus space (:func:`map_key`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.core.exceptions import ValidationError

from openitsms.operations.choices import IMPORT_SOURCES, RecordKind, RecordStatus
from openitsms.operations.ingest import FIELD_BY_NAME, FIELDS, FieldSpec, Profile, profile_for
from openitsms.operations.ingest.fields import MAPPED_TYPES
from openitsms.operations.ingest.valuemaps import (
    COMMON_MAPS,
    COMMON_PATTERNS,
    KEEP_PREVIOUS,
    VOCABULARY,
    build_mapper,
    map_key,
)
from openitsms.operations.ingest.values import ValueProblem

# Shown on every mapping page, whatever the source's columns.
ALWAYS_SHOWN: Final = ("status", "priority")
SOURCE_VALUE_MAX: Final = 200

_LABELS: Final[dict[str, str]] = {
    **{str(value): str(label) for value, label in RecordStatus.choices},
    **{str(value): str(label) for value, label in RecordKind.choices},
    KEEP_PREVIOUS: "Keep the previous status (audit-log exports)",
}


def value_label(value: str) -> str:
    """How one of our values reads on a page (``in_progress`` -> ``In progress``)."""
    return _LABELS.get(value) or value.replace("_", " ").capitalize()


def mapped_fields(kind: str = "") -> list[FieldSpec]:
    """Our fields read through a value map that apply to ``kind`` (every one for no kind)."""
    return [
        spec
        for spec in FIELDS
        if spec.type in MAPPED_TYPES and (not kind or spec.kinds is None or kind in spec.kinds)
    ]


def profile_of(source: str, kind: str) -> Profile:
    """The ingest profile whose defaults apply to a mapping of ``source`` and ``kind``.

    ServiceNow's tables differ by kind; a ServiceNow mapping saved for no kind reads as one
    for incidents (saving one now needs a kind).
    """
    if source == "servicenow" and not kind:
        kind = "incident"
    return profile_for(source, (kind or None))  # type: ignore[arg-type]


def shown_fields(
    source: str, kind: str, columns: Mapping[str, Any], value_maps: Mapping[str, Any]
) -> list[FieldSpec]:
    """The value-mapped fields a mapping's page shows: status and priority, those the
    source's export or the mapping's columns hold, and those that have overrides."""
    profile = profile_of(source, kind)
    return [
        spec
        for spec in mapped_fields(kind)
        if spec.name in ALWAYS_SHOWN
        or spec.name in profile.columns
        or columns.get(spec.name)
        or value_maps.get(spec.name)
    ]


def vocabulary(name: str) -> list[tuple[str, str]]:
    """Our values for the field ``name``, with their labels, in our order."""
    return [(value, value_label(value)) for value in VOCABULARY[FIELD_BY_NAME[name].type]]


def default_table(source: str, kind: str, name: str) -> dict[str, str]:
    """The default ``{source value: our value}`` table of one field (keys as looked up)."""
    spec = FIELD_BY_NAME[name]
    profile = profile_of(source, kind)
    return {**COMMON_MAPS[spec.type], **profile.value_maps.get(name, {})}


def default_patterns(source: str, kind: str, name: str) -> tuple[tuple[str, str], ...]:
    """Regular expressions tried after the table, with what they map to."""
    spec = FIELD_BY_NAME[name]
    return tuple(profile_of(source, kind).patterns.get(name, COMMON_PATTERNS.get(spec.type, ())))


def default_lookup(source: str, kind: str, name: str) -> Callable[[str], str | None]:
    """Our value for a source value by the defaults alone; ``None`` when they do not know it."""
    spec = FIELD_BY_NAME[name]
    mapper = build_mapper(
        spec.label.lower(),
        spec.type,
        default_table(source, kind, name),
        default_patterns(source, kind, name),
    )

    def lookup(value: str) -> str | None:
        try:
            return mapper(value)
        except ValueProblem:
            return None

    return lookup


@dataclass(frozen=True)
class DefaultGroup:
    """The source values that the defaults map to one of our values."""

    value: str
    label: str
    sources: list[str]


def grouped_defaults(source: str, kind: str, name: str) -> list[DefaultGroup]:
    """The default table of a field grouped by our value, in our order, for reading."""
    by_target: dict[str, list[str]] = {}
    for source_value, target in default_table(source, kind, name).items():
        by_target.setdefault(target, []).append(source_value)
    return [
        DefaultGroup(value, label, sorted(by_target[value], key=_natural))
        for value, label in vocabulary(name)
        if value in by_target
    ]


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(-?\d+)", text))


def check_value_maps(value_maps: Any, kind: str = "") -> dict[str, dict[str, str]]:
    """The value maps cleaned (blanks trimmed), or a ``ValidationError`` naming each bad
    entry under ``value_maps.<field>``: a field not read through a map or not of ``kind``,
    an empty or too long source value, two source values that read the same, or a value
    that is not one of ours."""
    if not isinstance(value_maps, Mapping):
        raise ValidationError({"value_maps": "Give an object of field -> {source value: ours}."})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, dict[str, str]] = {}
    mapped = [spec.name for spec in mapped_fields()]
    for name, table in value_maps.items():
        key = f"value_maps.{name}"
        spec = FIELD_BY_NAME.get(name)
        if spec is None or spec.type not in MAPPED_TYPES:
            errors[key] = [
                f"“{name}” is not a field read through a value map; choose from "
                + ", ".join(mapped)
                + "."
            ]
            continue
        if kind and spec.kinds is not None and kind not in spec.kinds:
            kinds = ", ".join(sorted(spec.kinds))
            errors[key] = [f"{spec.label} applies to {kinds} records, not to {kind} records."]
            continue
        if not isinstance(table, Mapping):
            errors[key] = ["Give an object of {source value: our value}."]
            continue
        allowed = VOCABULARY[spec.type]
        problems: list[str] = []
        seen: dict[str, str] = {}
        rows: dict[str, str] = {}
        for raw, target in table.items():
            source_value = str(raw).strip()
            if not source_value:
                problems.append(f"{spec.label}: a source value is empty.")
                continue
            if len(source_value) > SOURCE_VALUE_MAX:
                problems.append(
                    f"{spec.label}: “{source_value[:40]}…” is longer than "
                    f"{SOURCE_VALUE_MAX} characters."
                )
                continue
            lookup = map_key(source_value)
            if lookup in seen:
                problems.append(
                    f"{spec.label}: “{seen[lookup]}” and “{source_value}” are the same value "
                    "(case, blanks and _ are ignored); keep one."
                )
                continue
            seen[lookup] = source_value
            if target not in allowed:
                problems.append(
                    f"{spec.label}: “{source_value}” is sent to “{target}”, which is not one of "
                    "ours (" + ", ".join(allowed) + ")."
                )
                continue
            rows[source_value] = str(target)
        if problems:
            errors[key] = problems
        elif rows:
            cleaned[name] = rows
    if errors:
        raise ValidationError(errors)
    return cleaned


def check_columns(columns: Any) -> dict[str, str]:
    """The column mapping with headers trimmed, or a ``ValidationError`` naming each unknown
    field under ``columns.<field>``. An empty header is kept: it leaves the field unread."""
    if not isinstance(columns, Mapping):
        raise ValidationError({"columns": "Give an object of field -> column header."})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name, header in columns.items():
        if name not in FIELD_BY_NAME:
            errors[f"columns.{name}"] = [f"“{name}” is not one of our fields."]
        elif not isinstance(header, str):
            errors[f"columns.{name}"] = ["Give the column header as text."]
        elif len(header.strip()) > 255:
            errors[f"columns.{name}"] = ["The column header is longer than 255 characters."]
        else:
            cleaned[name] = header.strip()
    if errors:
        raise ValidationError(errors)
    return cleaned


_LABEL_TO_FIELD: Final[dict[str, str]] = {
    spec.label.lower(): spec.name for spec in FIELDS if spec.type in MAPPED_TYPES
}
_UNKNOWN = re.compile(
    r"unknown (?P<label>"
    + "|".join(re.escape(label) for label in sorted(_LABEL_TO_FIELD, key=len, reverse=True))
    + r") (?P<value>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
)


def unknown_values(reasons: Iterable[str], limit: int = 50) -> list[tuple[str, str]]:
    """The distinct ``(field, source value)`` pairs that rejections name as unknown values."""
    found: dict[tuple[str, str], None] = {}
    for reason in reasons:
        for match in _UNKNOWN.finditer(reason):
            try:
                value = ast.literal_eval(match["value"])
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, str):
                found.setdefault((_LABEL_TO_FIELD[match["label"]], value), None)
                if len(found) >= limit:
                    return list(found)
    return list(found)


def source_kind_errors(source: str, kind: str) -> dict[str, list[str]]:
    """Problems with a mapping's source and kind, by field (empty when both are fine)."""
    errors: dict[str, list[str]] = {}
    if source not in {value for value, _label in IMPORT_SOURCES}:
        errors["source"] = [
            f"“{source}” is not a source we import from: choose "
            + ", ".join(value for value, _label in IMPORT_SOURCES)
            + "."
        ]
    if kind and kind not in RecordKind.values:
        errors["kind"] = [f"“{kind}” is not a kind: choose {', '.join(RecordKind.values)}."]
    elif source == "servicenow" and not kind:
        errors["kind"] = [
            "A ServiceNow mapping needs a kind: its incident, problem, change and request "
            "tables have different states."
        ]
    return errors
