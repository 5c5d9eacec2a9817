"""Forms of the import pages and of saved mappings (columns and value maps)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.forms.boundfield import BoundField

from openitsms.operations.choices import IMPORT_SOURCES, RecordKind, RecordStatus, Source
from openitsms.operations.ingest import FIELDS, FieldSpec
from openitsms.operations.ingest.valuemaps import map_key
from openitsms.operations.ingest.values import clean
from openitsms.operations.models import ColumnMapping
from openitsms.operations.value_tables import (
    SOURCE_VALUE_MAX,
    DefaultGroup,
    default_lookup,
    default_patterns,
    grouped_defaults,
    profile_of,
    vocabulary,
)
from openitsms.services.models import Service
from openitsms.tenancy.forms import OrgForm

DATE_ORDERS = [
    ("", "Detect from the file"),
    ("day_first", "Day first (29/02/2016)"),
    ("month_first", "Month first (02/29/2016)"),
]


class ImportForm(OrgForm):
    file = forms.FileField(help_text="A CSV or XLSX export. UTF-8, UTF-16 or Latin-1; , ; or tab.")
    source = forms.ChoiceField(choices=IMPORT_SOURCES, initial=Source.SERVICENOW)
    kind = forms.ChoiceField(choices=RecordKind.choices, initial=RecordKind.INCIDENT)
    mapping = forms.ModelChoiceField(
        queryset=ColumnMapping.all_orgs.none(),
        required=False,
        empty_label="Suggest one from the file's headers",
        label="Saved mapping",
        help_text=(
            "A mapping saved before: the columns of another tool's CSV or XLSX file, or your "
            "own values (states, priorities) for any source."
        ),
    )
    time_zone = forms.CharField(
        max_length=64, help_text="The time zone of the times in the file (IANA name)."
    )
    date_order = forms.ChoiceField(choices=DATE_ORDERS, required=False)
    dry_run = forms.BooleanField(
        required=False, help_text="Show what would be created, updated and rejected; store nothing."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mapping"].queryset = ColumnMapping.all_orgs.filter(
            organisation=self.organisation
        )

    def clean_time_zone(self) -> str:
        import zoneinfo

        value: str = self.cleaned_data["time_zone"].strip()
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(f"“{value}” is not a time zone name.") from None
        return value


class MappingForm(forms.Form):
    """One choice of header per field of ours, and a name to save the mapping under."""

    name = forms.CharField(
        max_length=100, help_text="Saved under this name for the next import of such files."
    )

    def __init__(self, *args: Any, headers: list[str], kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— not in this file —")] + [(h, h) for h in headers]
        for spec in FIELDS:
            if spec.kinds is not None and kind not in spec.kinds:
                continue
            self.fields[f"col_{spec.name}"] = forms.ChoiceField(
                label=spec.label, choices=choices, required=spec.required
            )

    def columns(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("col_") and value
        }


class NewMappingForm(forms.Form):
    """A mapping started without a file: a name, the source and the kind it is for."""

    name = forms.CharField(max_length=100, help_text="For example “ServiceNow site states”.")
    source = forms.ChoiceField(choices=IMPORT_SOURCES, initial=Source.SERVICENOW)
    kind = forms.ChoiceField(
        choices=[("", "Any kind (read from the file)"), *RecordKind.choices],
        required=False,
        initial=RecordKind.INCIDENT,
        help_text="ServiceNow mappings need a kind: its tables have different states.",
    )


class MappingEditForm(forms.Form):
    """A saved mapping's name and, per field of ours, the header of the column that holds it."""

    name = forms.CharField(max_length=100)

    def __init__(self, *args: Any, mapping: ColumnMapping, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"name": mapping.name, **{f"col_{k}": v for k, v in mapping.columns.items()}},
        )
        super().__init__(*args, **kwargs)
        self.mapping = mapping
        profile = profile_of(mapping.source, mapping.kind)
        tool = mapping.get_source_display()
        for spec in FIELDS:
            if mapping.kind and spec.kinds is not None and mapping.kind not in spec.kinds:
                continue
            own = profile.columns.get(spec.name, ())
            if own:
                help_text = f"Empty: {tool}'s own column ({', '.join(own)})."
            elif spec.required:
                help_text = "Needed for an import."
            else:
                help_text = ""
            self.fields[f"col_{spec.name}"] = forms.CharField(
                label=spec.label, required=False, max_length=255, help_text=help_text
            )

    @property
    def column_fields(self) -> list[BoundField]:
        return [self[name] for name in self.fields if name.startswith("col_")]

    def columns(self) -> dict[str, str]:
        """The columns as saved: the page's entries, and the mapping's others kept (an entry
        that leaves a field unread, ``""``, stays while its box is left empty)."""
        old = self.mapping.columns
        columns = {name: header for name, header in old.items() if f"col_{name}" not in self.fields}
        for key in self.fields:
            if not key.startswith("col_"):
                continue
            name, header = key.removeprefix("col_"), self.cleaned_data.get(key, "").strip()
            if header or (name in old and old[name] == ""):
                columns[name] = header
        return columns


@dataclass
class ValueRow:
    """One source value and our value chosen for it."""

    index: int
    source: str = ""
    target: str = ""
    remove: bool = False
    default: str | None = None  # what the defaults give for the source value (None: unknown)
    default_label: str = ""
    error: str = ""


@dataclass
class ValueSection:
    """The value map of one field of ours: the defaults for reference and the rows to edit."""

    name: str
    label: str
    choices: list[tuple[str, str]]
    rows: list[ValueRow]
    defaults: list[DefaultGroup] = field(default_factory=list)
    patterns: tuple[tuple[str, str], ...] = ()
    column: str = ""  # the upload page: the file's column the values were read from

    @property
    def overrides(self) -> int:
        return sum(1 for row in self.rows if row.source and row.target and not row.remove)

    @property
    def unknown(self) -> list[str]:
        return [row.source for row in self.rows if row.source and row.default is None]


class ValueGrid:
    """The value-map inputs of a mapping's page, one section per field of ours.

    Input names: ``vm-<field>-rows`` (how many rows), ``vm-<field>-<n>-from`` (the source
    value), ``vm-<field>-<n>-to`` (ours) and ``vm-<field>-<n>-remove``; the upload page adds
    ``vm-<field>-column``. A few empty rows let people add values without script; clearing a
    row's source value or ticking "Remove" drops it.
    """

    EXTRA = 3
    LIMIT = 300
    PREFIX = "vm"

    def __init__(self, sections: list[ValueSection], *, source: str, kind: str) -> None:
        self.sections = sections
        for section in sections:
            lookup = default_lookup(source, kind, section.name)
            labels = dict(section.choices)
            for row in section.rows:
                row.default = lookup(row.source) if row.source else None
                row.default_label = labels.get(row.default or "", row.default or "")

    @staticmethod
    def _section(spec: FieldSpec, source: str, kind: str, rows: list[ValueRow]) -> ValueSection:
        return ValueSection(
            name=spec.name,
            label=spec.label,
            choices=vocabulary(spec.name),
            rows=rows,
            defaults=grouped_defaults(source, kind, spec.name),
            patterns=default_patterns(source, kind, spec.name),
        )

    @classmethod
    def from_maps(
        cls,
        *,
        source: str,
        kind: str,
        specs: Sequence[FieldSpec],
        value_maps: Mapping[str, Mapping[str, str]],
        add: Iterable[tuple[str, str]] = (),
    ) -> ValueGrid:
        """The grid of a saved mapping's overrides, with ``add`` (field, source value) rows
        to fill in (values an import did not know), then a few empty rows."""
        wanted = list(add)
        sections = []
        for spec in specs:
            rows = [
                ValueRow(index, source_value, target)
                for index, (source_value, target) in enumerate(
                    value_maps.get(spec.name, {}).items()
                )
            ]
            known = {map_key(row.source) for row in rows}
            for name, value in wanted:
                if name == spec.name and map_key(value) not in known:
                    rows.append(ValueRow(len(rows), value))
                    known.add(map_key(value))
            rows += [ValueRow(len(rows) + extra) for extra in range(cls.EXTRA)]
            sections.append(cls._section(spec, source, kind, rows))
        return cls(sections, source=source, kind=kind)

    @classmethod
    def from_post(
        cls, data: Mapping[str, Any], *, source: str, kind: str, specs: Sequence[FieldSpec]
    ) -> ValueGrid:
        sections = []
        for spec in specs:
            prefix = f"{cls.PREFIX}-{spec.name}"
            try:
                count = min(max(int(data.get(f"{prefix}-rows", 0)), 0), cls.LIMIT)
            except (TypeError, ValueError):
                count = 0
            rows = [
                ValueRow(
                    index,
                    str(data.get(f"{prefix}-{index}-from", "")).strip(),
                    str(data.get(f"{prefix}-{index}-to", "")),
                    bool(data.get(f"{prefix}-{index}-remove")),
                )
                for index in range(count)
            ]
            section = cls._section(spec, source, kind, rows)
            section.column = str(data.get(f"{prefix}-column", ""))
            sections.append(section)
        return cls(sections, source=source, kind=kind)

    @classmethod
    def from_sample(
        cls,
        *,
        source: str,
        kind: str,
        specs: Sequence[FieldSpec],
        columns: Mapping[str, str],
        headers: Sequence[str],
        rows: Iterable[Sequence[str]],
        limit: int = 40,
    ) -> ValueGrid:
        """The distinct values of the chosen columns in a file's first rows, each with the
        default's value chosen (none when the defaults do not know it)."""
        rows = list(rows)
        sections = []
        for spec in specs:
            header = columns.get(spec.name) or ""
            if header not in headers:
                continue
            position = list(headers).index(header)
            values: dict[str, None] = {}
            for cells in rows:
                value = clean(cells[position]) if position < len(cells) else None
                if value is not None and len(values) < limit:
                    values.setdefault(value, None)
            lookup = default_lookup(source, kind, spec.name)
            section = cls._section(spec, source, kind, [])
            section.column = header
            for index, value in enumerate(values):
                section.rows.append(ValueRow(index, value, lookup(value) or ""))
            sections.append(section)
        return cls(sections, source=source, kind=kind)

    def is_valid(self) -> bool:
        """Checks every row; a row's problem is kept on it for the page."""
        valid = True
        for section in self.sections:
            allowed = {value for value, _label in section.choices}
            seen: dict[str, str] = {}
            for row in section.rows:
                row.error = ""
                if row.remove or (not row.source and not row.target):
                    continue
                if not row.source:
                    row.error = "Type the source value, or choose nothing."
                elif len(row.source) > SOURCE_VALUE_MAX:
                    row.error = f"Keep the source value under {SOURCE_VALUE_MAX} characters."
                elif not row.target:
                    if not section.column:  # the upload page may leave a value unknown
                        row.error = f"Choose our value for “{row.source}”, or tick Remove."
                elif row.target not in allowed:
                    row.error = f"“{row.target}” is not one of our values."
                elif map_key(row.source) in seen:
                    row.error = (
                        f"“{row.source}” is the same value as “{seen[map_key(row.source)]}” "
                        "(case, blanks and _ are ignored)."
                    )
                else:
                    seen[map_key(row.source)] = row.source
                valid = valid and not row.error
        return valid

    def value_maps(self) -> dict[str, dict[str, str]]:
        """The overrides the rows give, by field (fields without rows left out)."""
        maps: dict[str, dict[str, str]] = {}
        for section in self.sections:
            table = {
                row.source: row.target
                for row in section.rows
                if row.source and row.target and not row.remove
            }
            if table:
                maps[section.name] = table
        return maps

    def merged_over(
        self,
        existing: Mapping[str, Mapping[str, str]],
        *,
        source: str,
        kind: str,
        columns: Mapping[str, str],
    ) -> dict[str, dict[str, str]]:
        """The upload page's choices laid over a mapping's existing overrides: a value set to
        what the defaults give needs no override (and loses any it had); a value left blank
        keeps what it had. Sections read from another column than the one now chosen are
        left out (the column was changed after the values were shown)."""
        maps = {name: dict(table) for name, table in existing.items()}
        for section in self.sections:
            if not section.column or section.column != columns.get(section.name):
                continue
            lookup = default_lookup(source, kind, section.name)
            table = maps.setdefault(section.name, {})
            for row in section.rows:
                if not row.source or not row.target:
                    continue
                for old in [key for key in table if map_key(key) == map_key(row.source)]:
                    del table[old]
                if row.target != lookup(row.source):
                    table[row.source] = row.target
        return {name: table for name, table in maps.items() if table}


class RecordFilterForm(OrgForm):
    kind = forms.ChoiceField(choices=[("", "All kinds"), *RecordKind.choices], required=False)
    status = forms.ChoiceField(
        choices=[("", "All statuses"), *RecordStatus.choices], required=False
    )
    priority = forms.ChoiceField(
        choices=[("", "All priorities")] + [(f"P{i}", f"P{i}") for i in range(1, 6)],
        required=False,
    )
    service = forms.ModelChoiceField(
        queryset=Service.all_orgs.none(), required=False, empty_label="All services"
    )
    month = forms.DateField(
        required=False,
        input_formats=["%Y-%m"],
        label="Opened in month",
        help_text="YYYY-MM",
    )
    q = forms.CharField(required=False, label="Search", help_text="Source id or title.")


class KpiFilterForm(OrgForm):
    kind = forms.ChoiceField(choices=RecordKind.choices, required=False, widget=forms.HiddenInput)
    service = forms.ModelChoiceField(
        queryset=Service.all_orgs.none(), required=False, empty_label="All services"
    )
    priority = forms.ChoiceField(
        choices=[("", "All priorities")] + [(f"P{i}", f"P{i}") for i in range(1, 6)],
        required=False,
    )
    assignment_group = forms.CharField(required=False, max_length=200)
