"""Forms of the audit programme, internal audits, findings and the certification cycle."""

from __future__ import annotations

from typing import Any

from django import forms

from openitsms.audits.choices import (
    ONCE_PER_CYCLE,
    ExternalAuditKind,
    Grade,
    Importance,
    ItemResult,
)
from openitsms.audits.models import (
    Audit,
    AuditProgramme,
    CertificationCycle,
    ExternalAudit,
    ExternalFinding,
    Finding,
    PreparationItem,
)
from openitsms.evidence.models import EvidenceItem
from openitsms.improvement.forms import DATE, OrgRecordForm, evidence_field

__all__ = [
    "AuditForm",
    "CompleteAuditForm",
    "CycleForm",
    "ExternalAuditForm",
    "ExternalFindingForm",
    "FindingForm",
    "ItemResultForm",
    "PreparationItemForm",
    "ProgrammeForm",
]


class CycleForm(OrgRecordForm):
    date_order = (
        (
            "decision_on",
            "expires_on",
            "The certificate must expire after the decision date.",
            True,
        ),
    )

    class Meta:
        model = CertificationCycle
        fields = [
            "certification_body",
            "certificate_number",
            "scope",
            "decision_on",
            "expires_on",
            "plan_days",
            "close_days",
            "lead_months",
            "notes",
        ]
        widgets = {
            "decision_on": DATE,
            "expires_on": DATE,
            "scope": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class ExternalAuditForm(OrgRecordForm):
    date_order = (
        ("starts_on", "ends_on", "The last day cannot be before the first day.", False),
        ("window_opens", "window_closes", "The window cannot close before it opens.", False),
    )

    class Meta:
        model = ExternalAudit
        fields = [
            "kind",
            "starts_on",
            "ends_on",
            "status",
            "auditor_name",
            "window_opens",
            "window_target",
            "window_closes",
            "outcome",
        ]
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "window_opens": DATE,
            "window_target": DATE,
            "window_closes": DATE,
            "outcome": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "window_closes": "Computed from the cycle's rules; change the window only where the "
            "body set other dates.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The kind of a planned audit is fixed; add another audit instead.
            del self.fields["kind"]
        else:
            taken = set(self.instance.cycle.audits.values_list("kind", flat=True))
            kind = self.fields["kind"]
            assert isinstance(kind, forms.ChoiceField)
            kind.choices = [
                (value, label)
                for value, label in ExternalAuditKind.choices
                if value not in taken or value not in ONCE_PER_CYCLE
            ]


class ExternalFindingForm(OrgRecordForm):
    date_order = (
        ("raised_on", "plan_submitted_on", "This cannot be before the finding was raised.", False),
        ("raised_on", "closed_on", "This cannot be before the finding was raised.", False),
    )
    evidence = forms.ModelMultipleChoiceField(queryset=EvidenceItem.objects.none(), required=False)

    class Meta:
        model = ExternalFinding
        fields = [
            "grade",
            "cb_reference",
            "clause",
            "process",
            "description",
            "raised_on",
            "plan_due_on",
            "close_due_on",
            "plan_submitted_on",
            "closed_on",
        ]
        widgets = {
            "raised_on": DATE,
            "plan_due_on": DATE,
            "close_due_on": DATE,
            "plan_submitted_on": DATE,
            "closed_on": DATE,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"] = evidence_field()
        if not self.instance.pk:
            # Deadlines come from the certificate when the finding is recorded.
            for name in ("plan_due_on", "close_due_on", "plan_submitted_on", "closed_on"):
                del self.fields[name]
            self.fields["raised_on"].required = False
            self.fields["raised_on"].help_text = "The last day of the audit when left empty."


class ProgrammeForm(OrgRecordForm):
    date_order = (("starts_on", "ends_on", "The programme must end after it starts.", True),)

    class Meta:
        model = AuditProgramme
        fields = ["title", "cycle", "starts_on", "ends_on", "owner", "objectives", "approach"]
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "objectives": forms.Textarea(attrs={"rows": 3}),
            "approach": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = CertificationCycle.objects.all()  # type: ignore[attr-defined]


class AuditForm(OrgRecordForm):
    date_order = (("starts_on", "ends_on", "The last day cannot be before the first day.", False),)

    class Meta:
        model = Audit
        fields = [
            "title",
            "clauses",
            "processes",
            "scope",
            "criteria",
            "lead_auditor",
            "team",
            "starts_on",
            "ends_on",
        ]
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "scope": forms.Textarea(attrs={"rows": 2}),
            "criteria": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "clauses": "A clause brings its sub-clauses. Hold Ctrl (⌘ on a Mac) to choose several.",
            "processes": "Each process brings the clauses it meets.",
            "lead_auditor": "Auditors may not audit a process they own or deputise for.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_auditor"].required = True
        self.fields["clauses"].widget.attrs["size"] = 12
        self.fields["processes"].queryset = self.fields["processes"].queryset.filter(  # type: ignore[attr-defined]
            is_active=True
        )

    def changes(self) -> dict[str, Any]:
        data = super().changes()
        for name in ("clauses", "processes", "team"):
            data.pop(name, None)
        return data


class CompleteAuditForm(forms.Form):
    conclusion = forms.CharField(
        label="Conclusion",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Conformity and effectiveness of what was audited, for the report.",
    )


class ItemResultForm(forms.Form):
    result = forms.ChoiceField(choices=ItemResult.choices)
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for a nonconformity, observation or opportunity: it becomes the "
        "finding.",
    )


class FindingForm(OrgRecordForm):
    evidence = forms.ModelMultipleChoiceField(queryset=EvidenceItem.objects.none(), required=False)

    class Meta:
        model = Finding
        fields = ["grade", "title", "clause", "process", "description", "objective_evidence"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "objective_evidence": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "grade": "A major or minor nonconformity opens a nonconformity record at once.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"] = evidence_field()
        grade = self.fields["grade"]
        assert isinstance(grade, forms.ChoiceField)
        grade.choices = Grade.choices

    def changes(self) -> dict[str, Any]:
        data = super().changes()
        data.pop("evidence", None)
        return data


class PreparationItemForm(OrgRecordForm):
    evidence = forms.ModelMultipleChoiceField(queryset=EvidenceItem.objects.none(), required=False)

    class Meta:
        model = PreparationItem
        fields = ["status", "owner", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"] = evidence_field()

    def changes(self) -> dict[str, Any]:
        data = super().changes()
        data.pop("evidence", None)
        return data


class FocusForm(forms.Form):
    importance = forms.TypedChoiceField(choices=Importance.choices, coerce=int)
    reason = forms.CharField(required=False, max_length=300)
