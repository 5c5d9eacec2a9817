from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.defaultfilters import filesizeformat

from openitsms.catalogue.models import Requirement
from openitsms.evidence.choices import EvidenceKind, Freshness
from openitsms.evidence.models import EvidenceItem
from openitsms.processes.models import Process
from openitsms.tenancy.forms import OrgModelForm
from openitsms.tenancy.models import Organisation

User = get_user_model()


class RequirementChoiceField(forms.ModelMultipleChoiceField):
    """Clauses in the standard's order, shown with their number and title."""

    def label_from_instance(self, obj: Any) -> str:
        indent = "\u2002" * max(0, obj.depth)
        return f"{indent}{obj.number} {obj.title}"


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


def members_of(organisation: Organisation) -> Any:
    return User.objects.filter(memberships__organisation=organisation).order_by(
        "first_name", "last_name", "username"
    )


def primary_requirements() -> Any:
    return Requirement.objects.primary().order_by("position")


def _upload_help() -> str:
    return (
        f"Up to {filesizeformat(settings.EVIDENCE_MAX_BYTES)}. Accepted types: "
        f"{', '.join(settings.EVIDENCE_ALLOWED_TYPES)}."
    )


class EvidenceForm(OrgModelForm):
    """Create or edit an evidence item; on create, optionally with its first file."""

    owner = MemberChoiceField(queryset=User.objects.none(), required=False, label="Owner")
    requirements = RequirementChoiceField(
        queryset=Requirement.objects.none(),
        required=False,
        label="Clauses it supports",
        help_text="Hold Ctrl (⌘ on a Mac) to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 12}),
    )
    url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="Address (for links)",
        help_text="Where it lives, e.g. a page of your intranet or document system.",
    )
    processes = forms.ModelMultipleChoiceField(
        queryset=Process.all_orgs.none(),
        required=False,
        label="Processes it belongs to",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = EvidenceItem
        fields = [
            "title",
            "kind",
            "description",
            "owner",
            "effective_on",
            "valid_until",
            "review_interval_days",
            "url",
            "requirements",
            "processes",
        ]
        labels = {
            "effective_on": "Effective date",
            "valid_until": "Valid until",
            "review_interval_days": "Renew every (days)",
        }
        help_texts = {
            "valid_until": "When it stops being good evidence. Leave empty to use the renewal "
            "interval instead.",
        }
        widgets = {
            "effective_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, organisation: Organisation, with_file: bool, **kwargs: Any):
        super().__init__(*args, organisation=organisation, **kwargs)
        fields: dict[str, Any] = self.fields
        # Built here, inside the organisation's scope, never at import time.
        fields["owner"].queryset = members_of(organisation)
        fields["requirements"].queryset = primary_requirements()
        fields["processes"].queryset = Process.objects.filter(organisation=organisation)
        if with_file:
            self.fields["file"] = forms.FileField(
                required=False, label="File (first version)", help_text=_upload_help()
            )
            self.fields["note"] = forms.CharField(
                required=False, max_length=300, label="Version note"
            )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        # Next to the fields, before the database constraints say it at the top.
        if data.get("kind") == EvidenceKind.LINK and not data.get("url") and "url" in data:
            self.add_error("url", "A link needs its address.")
        effective, until = data.get("effective_on"), data.get("valid_until")
        if effective and until and until < effective:
            self.add_error("valid_until", "'Valid until' cannot be before the effective date.")
        return data


class VersionForm(forms.Form):
    file = forms.FileField(label="New version", help_text="")
    note = forms.CharField(
        required=False, max_length=300, label="What changed", help_text="Shown in the history."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _upload_help()


class EvidenceFilter(forms.Form):
    """The filters of the evidence list; every field optional."""

    q = forms.CharField(required=False, label="Title contains")
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *EvidenceKind.choices])
    clause = forms.ChoiceField(required=False, label="Clause")
    process = forms.ChoiceField(required=False, label="Process")
    owner = forms.ChoiceField(required=False, label="Owner")
    freshness = forms.ChoiceField(
        required=False, choices=[("", "Any"), *Freshness.choices], label="Freshness"
    )
    deleted = forms.BooleanField(required=False, label="Deleted evidence")

    def __init__(
        self,
        *args: Any,
        requirements: list[Requirement],
        processes: list[Process],
        members: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["clause"].choices = [("", "Any clause")] + [
            (r.number, f"{r.number} {r.title}") for r in requirements
        ]
        fields["process"].choices = [("", "Any process")] + [(str(p.pk), p.name) for p in processes]
        fields["owner"].choices = [("", "Anyone"), ("none", "Nobody")] + [
            (str(u.pk), u.get_full_name() or u.username) for u in members
        ]
