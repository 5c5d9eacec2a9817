"""Column mappings: suggesting one from a file's headers, and resolving one against them.

:func:`suggest_mapping` scores every (field, header) pair and assigns greedily, best score
first, each field and each header at most once:

* 1.0 for the field's own name or its best synonym, a little less for later synonyms
  (``Created`` is a strong sign of the opened time, ``Date`` a weak one), 0.85 for a header
  some tool profile uses for the field;
* otherwise 0.4–0.7 when all the words of a synonym appear in the header
  (``Incident opened date``), more the more of the header they cover; a single word must
  have six letters or more (``contact_type`` is not a kind, ``Caller ID`` not an id);
* with sample rows, the values are checked against the field's type: a "date" column whose
  values are not dates, or a status column whose values no map knows, loses most of its
  score, and a column whose values fit gains a little.

Pairs under 0.45 are not suggested. Confidence is that score, rounded to two decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .fields import (
    FIELD_BY_NAME,
    FIELDS,
    REQUIRED_FIELDS,
    ColumnMapping,
    FieldSpec,
    bare_key,
    header_key,
)
from .profiles import PROFILES, Profile
from .records import IngestError
from .valuemaps import COMMON_MAPS, COMMON_PATTERNS, build_mapper
from .values import TimestampParser, ValueProblem, clean, parse_bool, parse_duration, parse_int

THRESHOLD: Final = 0.45
_PROFILE_SCORE: Final = 0.85


@dataclass(frozen=True)
class MappingSuggestion:
    """A suggested column mapping, how sure each entry is, and what is left over."""

    columns: ColumnMapping
    confidence: dict[str, float]
    unmapped_headers: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable form, for the page and for saving."""
        return {
            "columns": dict(self.columns),
            "confidence": dict(self.confidence),
            "unmapped_headers": list(self.unmapped_headers),
            "missing_required": list(self.missing_required),
        }


def _profile_headers() -> dict[str, set[str]]:
    known: dict[str, set[str]] = {}
    for profile in PROFILES.values():
        for name, headers in profile.columns.items():
            known.setdefault(name, set()).update(header_key(h) for h in headers)
    return known


_KNOWN_HEADERS: Final = _profile_headers()


def _name_score(spec: FieldSpec, header: str) -> float:
    full, bare = header_key(header), bare_key(header)
    own = spec.name.replace("_", " ")
    best = 0.0
    for key in {full, bare}:
        if key == own:
            return 1.0
        if key in spec.synonyms:
            best = max(best, 1.0 - 0.015 * spec.synonyms.index(key))
    if best:
        return best
    if full in _KNOWN_HEADERS.get(spec.name, ()):
        return _PROFILE_SCORE
    words = set(bare.split())
    if not words:
        return 0.0
    for synonym in (own, *spec.synonyms):
        needed = set(synonym.split())
        # A lone short word ("type", "date", "id") inside a longer header says too little.
        if needed <= words and (len(needed) > 1 or len(synonym) >= 6):
            best = max(best, 0.4 + 0.3 * len(needed) / len(words))
    return best


def _fit(spec: FieldSpec, values: Sequence[str]) -> float | None:
    """Share of the non-empty sample values that read as the field's type (None: no values)."""
    present = [v for v in (clean(value) for value in values) if v is not None]
    if not present:
        return None
    day, month = TimestampParser("day_first"), TimestampParser("month_first")
    mapper = None
    if spec.type in COMMON_MAPS:
        mapper = build_mapper(
            spec.label, spec.type, COMMON_MAPS[spec.type], COMMON_PATTERNS.get(spec.type, ())
        )
    good = 0
    for value in present:
        try:
            if spec.type == "timestamp":
                try:
                    day.parse(value)
                except ValueProblem:
                    month.parse(value)
            elif spec.type == "int":
                parse_int(value)
            elif spec.type == "bool":
                parse_bool(value)
            elif spec.type == "duration":
                parse_duration(value)
            elif mapper is not None:
                mapper(value)
            else:
                continue  # text fits anything; judged below
            good += 1
        except ValueProblem:
            pass
    if spec.type == "text":
        dates = 0
        for value in present:
            try:
                day.parse(value)
                dates += 1
            except ValueProblem:
                pass
        return 1.0 - dates / len(present)  # a text field of dates is suspicious
    return good / len(present)


def suggest_mapping(
    headers: Sequence[str], sample_rows: Iterable[Sequence[str]] | None = None
) -> MappingSuggestion:
    """A column mapping for a file from an unknown tool (see the module docstring).

    ``sample_rows`` (rows of cells in header order, a few dozen are plenty) let the values
    confirm or contradict the names.
    """
    columns_values: list[list[str]] = [[] for _ in headers]
    for row in sample_rows or ():
        for index, value in enumerate(row[: len(headers)]):
            columns_values[index].append(value)
    candidates: list[tuple[float, int, int]] = []
    for field_index, spec in enumerate(FIELDS):
        for header_index, header in enumerate(headers):
            if not header.strip():
                continue
            score = _name_score(spec, header)
            if score <= 0.0:
                continue
            fit = _fit(spec, columns_values[header_index])
            if fit is not None:
                score = score * 0.3 if fit < 0.5 else min(1.0, score + 0.05 * fit)
            if score >= THRESHOLD:
                candidates.append((score, field_index, header_index))
    candidates.sort(key=lambda item: (-item[0], item[1], item[2]))
    chosen: dict[int, tuple[int, float]] = {}
    used_headers: set[int] = set()
    for score, field_index, header_index in candidates:
        if field_index in chosen or header_index in used_headers:
            continue
        chosen[field_index] = (header_index, score)
        used_headers.add(header_index)
    mapping: ColumnMapping = {}
    confidence: dict[str, float] = {}
    for field_index in sorted(chosen):
        header_index, score = chosen[field_index]
        name = FIELDS[field_index].name
        mapping[name] = headers[header_index]
        confidence[name] = round(score, 2)
    return MappingSuggestion(
        columns=mapping,
        confidence=confidence,
        unmapped_headers=[h for i, h in enumerate(headers) if i not in used_headers and h],
        missing_required=[name for name in REQUIRED_FIELDS if name not in mapping],
    )


def resolve_columns(
    profile: Profile, headers: Sequence[str], overrides: Mapping[str, str | None] | None = None
) -> dict[str, int]:
    """Field -> column index for this file: the caller's mapping over the profile's headers.

    A mapping entry of ``None`` or ``""`` leaves the field unmapped. Raises
    :class:`IngestError` for an unknown field, a header the file lacks, or a missing
    required column (naming what was looked for and what the file has).
    """
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        positions.setdefault(header_key(header), position)
    resolved: dict[str, int] = {}
    for name, candidates in profile.columns.items():
        for candidate in candidates:
            found = positions.get(header_key(candidate))
            if found is not None:
                resolved[name] = found
                break
    for name, wanted_header in (overrides or {}).items():
        if name not in FIELD_BY_NAME:
            raise IngestError(f"the mapping names an unknown field {name!r}")
        if not wanted_header:
            resolved.pop(name, None)
            continue
        index = positions.get(header_key(wanted_header))
        if index is None:
            label = FIELD_BY_NAME[name].label
            raise IngestError(
                f"the mapping reads {label} from the column {wanted_header!r}, "
                "but the file has no such column"
            )
        resolved[name] = index
    missing = [name for name in REQUIRED_FIELDS if name not in resolved]
    if missing:
        wanted = "; ".join(
            f"{FIELD_BY_NAME[name].label} "
            f"({' or '.join(profile.columns.get(name, ())) or 'map a column'})"
            for name in missing
        )
        raise IngestError(
            f"required column missing: {wanted}. The file's columns are: {', '.join(headers)}"
        )
    return resolved
