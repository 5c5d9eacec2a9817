from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from openitsms.catalogue.choices import ConformityStatus, EvidenceFilter, OperatedBy
from openitsms.catalogue.models import Conformity, Requirement
from openitsms.catalogue.tree import RequirementFilters
from openitsms.processes.models import Process

if TYPE_CHECKING:
    from openitsms.tenancy.models import Organisation

KEEP = ("", "Keep as it is")


class RequirementFilter(forms.Form):
    """The filters of the requirement tree; a value that is not offered is ignored."""

    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *ConformityStatus.choices]
    )
    clause = forms.ChoiceField(required=False, choices=[("", "All clauses")])
    process = forms.ChoiceField(required=False, choices=[("", "Any process")])
    owner = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Process owner",
        choices=[("", "Anyone")],
    )
    evidence = forms.ChoiceField(
        required=False, choices=[("", "Any evidence"), *EvidenceFilter.choices]
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter_%s")  # the bulk form on the same page has a status
        super().__init__(*args, **kwargs)
        clauses = Requirement.objects.primary().filter(depth=0).order_by("position")
        self.fields["clause"].choices = [  # type: ignore[attr-defined]
            ("", "All clauses"),
            *((c.number, f"{c.number} {c.title}") for c in clauses),
        ]
        processes = list(
            Process.objects.filter(organisation=organisation).active().select_related("owner")
        )
        self.fields["process"].choices = [  # type: ignore[attr-defined]
            ("", "Any process"),
            *((p.slug, p.name) for p in processes),
        ]
        owners = {p.owner.pk: p.owner for p in processes if p.owner is not None}
        self.fields["owner"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            *sorted(
                ((pk, u.get_full_name() or u.username) for pk, u in owners.items()),
                key=lambda c: str(c[1]).lower(),
            ),
        ]

    def filters(self) -> RequirementFilters:
        if not self.is_bound:
            return RequirementFilters()
        self.is_valid()
        data = self.cleaned_data  # holds the valid fields even when others are not
        return RequirementFilters(
            status=data.get("status") or "",
            clause=data.get("clause") or "",
            process=data.get("process") or "",
            owner=data.get("owner") or None,
            evidence=data.get("evidence") or "",
        )


class ConformityForm(forms.Form):
    """One requirement's assessment, as a whole."""

    status = forms.ChoiceField(choices=ConformityStatus.choices)
    operated_by = forms.ChoiceField(
        choices=OperatedBy.choices,
        label="Operated by",
        help_text="The standard allows no exclusions: when another party operates part of it, "
        "you still govern it.",
    )
    operator_name = forms.CharField(
        required=False,
        max_length=200,
        label="Operator's name",
        help_text="Needed when another party operates it, e.g. the supplier's company name.",
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you based the assessment on, or what is missing.",
    )

    @classmethod
    def for_conformity(cls, conformity: Conformity | None) -> ConformityForm:
        if conformity is None:
            return cls(initial={"status": ConformityStatus.NOT_ASSESSED})
        return cls(
            initial={
                "status": conformity.status,
                "operated_by": conformity.operated_by,
                "operator_name": conformity.operator_name,
                "notes": conformity.notes,
            }
        )


class ConformityBulkForm(forms.Form):
    """The same assessment for the requirements ticked in the tree; empty fields keep values."""

    requirements = forms.ModelMultipleChoiceField(
        queryset=Requirement.objects.all(),
        error_messages={
            "required": "Tick at least one requirement in the table first.",
            "invalid_choice": "Requirement %(value)s does not exist.",
            "invalid_pk_value": "“%(pk)s” is not a requirement.",
        },
    )
    status = forms.ChoiceField(required=False, choices=[KEEP, *ConformityStatus.choices])
    operated_by = forms.ChoiceField(
        required=False, label="Operated by", choices=[KEEP, *OperatedBy.choices]
    )
    operator_name = forms.CharField(
        required=False,
        max_length=200,
        label="Operator's name",
        help_text="Needed when another party operates them.",
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Leave empty to keep each requirement's notes.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)

    def changes(self) -> dict[str, str | None]:
        """The fields to set, ``None`` meaning 'keep as it is'."""
        data = self.cleaned_data
        return {
            "status": data["status"] or None,
            "operated_by": data["operated_by"] or None,
            "operator_name": data["operator_name"] or None,
            "notes": data["notes"] or None,
        }
