"""Forms of the import pages."""

from __future__ import annotations

from typing import Any

from django import forms

from openitsms.operations.choices import IMPORT_SOURCES, RecordKind, RecordStatus, Source
from openitsms.operations.ingest import FIELDS
from openitsms.operations.models import ColumnMapping
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
        help_text="For other CSV or XLSX files: a column mapping saved before.",
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
    kind = forms.ChoiceField(choices=RecordKind.choices, required=False)
    service = forms.ModelChoiceField(
        queryset=Service.all_orgs.none(), required=False, empty_label="All services"
    )
    assignment_group = forms.CharField(required=False, max_length=200)
