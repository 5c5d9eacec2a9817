from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MinValueValidator

from openitsms.catalogue.models import Requirement
from openitsms.evidence.forms import MemberChoiceField, RequirementChoiceField, members_of
from openitsms.evidence.models import EvidenceItem
from openitsms.processes.choices import ProcessKind
from openitsms.processes.models import Process, ProcessKpi
from openitsms.tenancy.forms import OrgModelForm
from openitsms.tenancy.models import Organisation

User = get_user_model()


class ProcessForm(OrgModelForm):
    """Create or edit a process. Owner and deputy are chosen among the organisation's members."""

    owner = MemberChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Process owner",
        help_text="Accountable for the process working and improving.",
    )
    deputy = MemberChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Deputy",
        help_text="Stands in when the owner is away; someone other than the owner.",
    )
    clauses = RequirementChoiceField(
        queryset=Requirement.objects.none(),
        required=False,
        label="Clauses it meets",
        help_text="Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )
    interfaces = forms.ModelMultipleChoiceField(
        queryset=Process.all_orgs.none(),
        required=False,
        label="Interfaces",
        help_text="Processes this one exchanges inputs or outputs with.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    procedure = forms.ModelChoiceField(
        queryset=EvidenceItem.all_orgs.none(),
        required=False,
        label="Documented procedure",
        help_text="An evidence item; add it under Evidence first.",
    )

    class Meta:
        model = Process
        fields = [
            "name",
            "slug",
            "kind",
            "owner",
            "deputy",
            "purpose",
            "inputs",
            "outputs",
            "clauses",
            "interfaces",
            "procedure",
            "review_interval_months",
            "is_active",
        ]
        labels = {
            "slug": "Short name",
            "review_interval_months": "Review every (months)",
            "is_active": "In use",
        }
        help_texts = {
            "slug": "Letters, digits and hyphens; made from the name when left empty.",
            "inputs": "One per line.",
            "outputs": "One per line.",
        }
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "inputs": forms.Textarea(attrs={"rows": 4}),
            "outputs": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(
        self, *args: Any, organisation: Organisation, may_reassign: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["slug"].required = False
        fields["kind"].choices = ProcessKind.choices
        members = members_of(organisation)
        fields["owner"].queryset = members
        fields["deputy"].queryset = members
        fields["clauses"].queryset = Requirement.objects.primary().order_by("position")
        interfaces = Process.objects.filter(organisation=organisation).order_by("position", "name")
        if self.instance.pk:
            interfaces = interfaces.exclude(pk=self.instance.pk)
        fields["interfaces"].queryset = interfaces
        fields["procedure"].queryset = EvidenceItem.objects.filter(
            organisation=organisation, deleted_at__isnull=True
        ).order_by("title")
        fields["review_interval_months"].validators.append(MinValueValidator(1))
        fields["review_interval_months"].widget.attrs["min"] = 1
        if not may_reassign:
            fields["owner"].disabled = True
            fields["owner"].help_text = "Only owners and managers hand a process over."

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        owner, deputy = data.get("owner"), data.get("deputy")
        if owner is not None and deputy is not None and owner == deputy:
            # Next to the field, before the database constraint says it at the top.
            self.add_error("deputy", "The deputy must be someone other than the owner.")
        return data


class KpiForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ProcessKpi
        fields = ["name", "target", "unit", "direction", "measurement"]
        labels = {"name": "KPI", "measurement": "How it is measured"}
        widgets = {"measurement": forms.Textarea(attrs={"rows": 2})}


class ProcessFilter(forms.Form):
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *ProcessKind.choices])
    owner = forms.ChoiceField(required=False, label="Owner")
    flagged = forms.BooleanField(required=False, label="Only flagged")

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["owner"].choices = [("", "Anyone"), ("none", "Nobody")] + [
            (str(u.pk), u.get_full_name() or u.username) for u in members
        ]


class RaciGrid:
    """The inputs of the RACI edit page: activities down, parties across, a letter per cell.

    Field names are ``activity-<row>``, ``party-<column>`` and ``code-<row>-<column>``; a few
    empty rows and columns let people add activities and parties without script.
    """

    EXTRA_ROWS = 3
    EXTRA_COLUMNS = 2
    LIMIT = 80

    def __init__(self, activities: list[str], parties: list[str], letters: dict[Any, str]):
        self.activities = activities
        self.parties = parties
        self.letters = letters

    @classmethod
    def from_matrix(cls, matrix: dict[str, Any]) -> RaciGrid:
        parties = list(matrix["parties"])
        letters = {}
        activities = []
        for row in matrix["rows"]:
            activities.append(row["activity"])
            for party, code in zip(parties, row["letters"], strict=True):
                letters[(len(activities) - 1, parties.index(party))] = code
        return cls(activities + [""] * cls.EXTRA_ROWS, parties + [""] * cls.EXTRA_COLUMNS, letters)

    @classmethod
    def from_post(cls, data: Any) -> RaciGrid:
        def count(name: str) -> int:
            try:
                return max(0, min(int(data.get(name, 0)), cls.LIMIT))
            except ValueError:
                return 0

        rows, columns = count("rows"), count("columns")
        activities = [data.get(f"activity-{i}", "") for i in range(rows)]
        parties = [data.get(f"party-{j}", "") for j in range(columns)]
        letters = {
            (i, j): data.get(f"code-{i}-{j}", "").strip().upper()
            for i in range(rows)
            for j in range(columns)
        }
        return cls(activities, parties, letters)

    def rows(self) -> list[tuple[str, dict[str, str]]]:
        """For ``actions.set_raci``: each activity with its {party: letter}."""
        result = []
        for i, activity in enumerate(self.activities):
            codes: dict[str, str] = {}
            for j, party in enumerate(self.parties):
                code = self.letters.get((i, j), "")
                if code:
                    key = party.strip()
                    while key in codes:  # the same party typed twice: let the check name it
                        key += " "
                    codes[key] = code
            result.append((activity, codes))
        return result

    def table(self) -> list[dict[str, Any]]:
        return [
            {
                "index": i,
                "activity": activity,
                "cells": [
                    {"column": j, "party": party, "code": self.letters.get((i, j), "")}
                    for j, party in enumerate(self.parties)
                ],
            }
            for i, activity in enumerate(self.activities)
        ]
