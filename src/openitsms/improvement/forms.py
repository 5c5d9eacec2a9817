"""Forms of the action tracker, nonconformities and the improvement register.

Choice fields that point at organisation records get their querysets in ``__init__`` (built
inside the organisation's scope); the views save through ``actions.py``, never ``form.save()``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from openitsms.catalogue.models import Requirement
from openitsms.evidence.models import EvidenceItem
from openitsms.improvement.choices import (
    RATING_CHOICES,
    ActionStatus,
    CheckResult,
    Decision,
)
from openitsms.improvement.models import (
    Action,
    EffectivenessCheck,
    Improvement,
    ImprovementTarget,
    Nonconformity,
)
from openitsms.processes.models import Process
from openitsms.tenancy.choices import Role
from openitsms.tenancy.forms import OrgForm as OrgPlainForm
from openitsms.tenancy.forms import OrgModelForm
from openitsms.tenancy.models import Organisation

User = get_user_model()
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_WHYS = 5


class MemberChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class MembersChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.username})" if name else obj.username


class ClauseChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} {obj.title}"


class ClausesChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} {obj.title}"


def members(org: Organisation, *, acting: bool = True) -> Any:
    """Members of ``org`` as users; with ``acting``, those who may act (viewers only read)."""
    roles = [r for r in Role.values if not (acting and r == Role.VIEWER)]
    users = User.objects.filter(memberships__organisation=org, memberships__role__in=roles)
    return users.order_by("first_name", "last_name", "username").distinct()


def clauses() -> Any:
    return Requirement.objects.primary().order_by("position")


def evidence_field() -> forms.ModelMultipleChoiceField:  # type: ignore[type-arg]
    return forms.ModelMultipleChoiceField(
        queryset=EvidenceItem.objects.live().order_by("title"),
        required=False,
        help_text="Hold Ctrl (⌘ on a Mac) to choose several.",
    )


class OrgRecordForm(OrgModelForm):
    """A ModelForm whose people, clauses, processes and evidence are this organisation's:
    members who may act (not viewers), clauses of ISO/IEC 20000-1, live evidence.

    ``date_order`` lists (earlier field, later field, message, strictly later): dates out of
    order are refused on the later field (before the model's own check would refuse them
    for the whole form).
    """

    date_order: tuple[tuple[str, str, str, bool], ...] = ()

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, organisation=org, **kwargs)
        self.org = org
        for name, field in self.fields.items():
            model = getattr(getattr(field, "queryset", None), "model", None)
            if model is User:
                self.fields[name] = (
                    MembersChoiceField
                    if isinstance(field, forms.ModelMultipleChoiceField)
                    else MemberChoiceField
                )(
                    queryset=members(org),
                    required=field.required,
                    label=field.label,
                    help_text=field.help_text,
                    initial=field.initial,
                )
            elif model is Requirement:
                multiple = isinstance(field, forms.ModelMultipleChoiceField)
                self.fields[name] = (ClausesChoiceField if multiple else ClauseChoiceField)(
                    queryset=clauses(),
                    required=field.required,
                    label=field.label,
                    help_text=field.help_text,
                )
            elif model is Process:
                field.queryset = Process.objects.order_by("position", "name")  # type: ignore[attr-defined]
            elif model is EvidenceItem:
                field.queryset = EvidenceItem.objects.live().order_by("title")  # type: ignore[attr-defined]
                field.help_text = "Hold Ctrl (⌘ on a Mac) to choose several."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for first, second, message, strict in self.date_order:
            a, b = data.get(first), data.get(second)
            if a and b and (b <= a if strict else b < a):
                self.add_error(second, message)
        return data

    def changes(self) -> dict[str, Any]:
        """The cleaned values of the model fields (without many-to-many ones)."""
        m2m = {f.name for f in self._meta.model._meta.many_to_many}
        fields = list(self._meta.fields or [])
        return {k: v for k, v in self.cleaned_data.items() if k in fields and k not in m2m}


# ------------------------------------------------------------------------------- the tracker


class ActionForm(OrgRecordForm):
    class Meta:
        model = Action
        fields = ["title", "description", "kind", "owner", "due_on", "priority", "evidence"]
        widgets = {"due_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].required = True


class ActionProgressForm(OrgPlainForm):
    status = forms.ChoiceField(choices=ActionStatus.choices)
    completed_on = forms.DateField(
        label="Completed on",
        required=False,
        widget=DATE,
        help_text="For done actions; today when left empty.",
    )
    completion_notes = forms.CharField(
        label="Completion notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was done — or why it was cancelled (required then).",
    )
    evidence = forms.ModelMultipleChoiceField(queryset=EvidenceItem.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"] = evidence_field()


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))


class ActionFilterForm(OrgPlainForm):
    status = forms.ChoiceField(
        choices=[("active", "Open or in progress"), ("", "Any"), *ActionStatus.choices],
        required=False,
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Anyone"
    )
    q = forms.CharField(label="Search", required=False)

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, organisation=org, **kwargs)
        self.fields["owner"] = MemberChoiceField(
            queryset=members(org), required=False, empty_label="Anyone"
        )


# --------------------------------------------------------------------------- nonconformities


class NonconformityForm(OrgRecordForm):
    date_order = (
        (
            "raised_on",
            "due_on",
            "The target closure date cannot be before the date it was raised.",
            False,
        ),
    )

    class Meta:
        model = Nonconformity
        fields = [
            "title",
            "description",
            "source",
            "source_reference",
            "severity",
            "clause",
            "process",
            "owner",
            "raised_on",
            "due_on",
            "containment",
            "correction",
            "evidence",
        ]
        widgets = {
            "raised_on": DATE,
            "due_on": DATE,
            "description": forms.Textarea(attrs={"rows": 4}),
            "containment": forms.Textarea(attrs={"rows": 3}),
            "correction": forms.Textarea(attrs={"rows": 3}),
        }


class AnalysisForm(forms.Form):
    """Root cause analysis: five whys in order, the root cause and its category."""

    root_cause = forms.CharField(
        label="Root cause",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The cause that, once removed, stops it from happening again.",
    )
    cause_category = forms.ChoiceField(label="Cause category", choices=[])
    similar_review = forms.CharField(
        label="Similar nonconformities",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Do similar nonconformities exist, or could they occur elsewhere?",
    )
    sms_changes = forms.CharField(
        label="Changes to the SMS",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from openitsms.improvement.choices import CauseCategory

        super().__init__(*args, **kwargs)
        category = self.fields["cause_category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", "—"), *CauseCategory.choices]
        whys: dict[str, forms.Field] = {}
        for n in range(1, MAX_WHYS + 1):
            whys[f"why_{n}"] = forms.CharField(
                label=f"Why {n}",
                required=False,
                help_text="Why did it happen?" if n == 1 else "And why was that?",
            )
        self.fields = {**whys, **self.fields}  # type: ignore[assignment]

    @classmethod
    def initial_for(cls, nc: Nonconformity) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "root_cause": nc.root_cause,
            "cause_category": nc.cause_category,
            "similar_review": nc.similar_review,
            "sms_changes": nc.sms_changes,
        }
        for n, why in enumerate(nc.why_list[:MAX_WHYS], start=1):
            initial[f"why_{n}"] = why
        return initial

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "whys": [data[f"why_{n}"] for n in range(1, MAX_WHYS + 1) if data.get(f"why_{n}")],
            "root_cause": data["root_cause"],
            "cause_category": data["cause_category"],
            "similar_review": data["similar_review"],
            "sms_changes": data["sms_changes"],
        }


class CheckPlanForm(OrgRecordForm):
    class Meta:
        model = EffectivenessCheck
        fields = ["planned_on", "checker", "method"]
        widgets = {"planned_on": DATE, "method": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["checker"].required = True


class CheckResultForm(forms.Form):
    result = forms.ChoiceField(
        label="Were the actions effective?",
        choices=[(CheckResult.PASSED, "Yes — passed"), (CheckResult.FAILED, "No — failed")],
        widget=forms.RadioSelect,
    )
    performed_on = forms.DateField(
        label="Checked on", required=False, widget=DATE, help_text="Today when left empty."
    )
    notes = forms.CharField(
        label="What the check found",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when it failed.",
    )


class NonconformityFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("open", "Open"), ("closed", "Closed"), ("", "Any")], required=False
    )
    severity = forms.ChoiceField(
        choices=[("", "Any"), ("major", "Major"), ("minor", "Minor")], required=False
    )
    overdue = forms.BooleanField(label="Overdue only", required=False)
    q = forms.CharField(label="Search", required=False)


# ------------------------------------------------------------------------------ improvements


class ImprovementForm(OrgRecordForm):
    date_order = (
        ("raised_on", "due_on", "The target date cannot be before the date it was raised.", False),
    )
    benefit = forms.TypedChoiceField(
        choices=[("", "Not rated yet"), *RATING_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    cost = forms.TypedChoiceField(
        choices=[("", "Not rated yet"), *RATING_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    risk = forms.TypedChoiceField(
        label="Risk of doing it",
        choices=[("", "Not rated yet"), *RATING_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )

    class Meta:
        model = Improvement
        fields = [
            "title",
            "description",
            "source",
            "source_reference",
            "process",
            "clause",
            "owner",
            "raised_on",
            "due_on",
            "benefit",
            "cost",
            "risk",
            "evidence",
        ]
        widgets = {
            "raised_on": DATE,
            "due_on": DATE,
            "description": forms.Textarea(attrs={"rows": 4}),
        }


class ProposalForm(ImprovementForm):
    """What anyone who may act can propose: the opportunity, without evaluating it."""

    class Meta(ImprovementForm.Meta):
        fields = ["title", "description", "source", "source_reference", "process", "clause"]


class TargetForm(OrgRecordForm):
    class Meta:
        model = ImprovementTarget
        fields = ["area", "description", "unit", "direction", "baseline", "target"]


class MeasureForm(OrgRecordForm):
    class Meta:
        model = ImprovementTarget
        fields = ["measured", "measured_on", "notes"]
        widgets = {"measured_on": DATE, "notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"measured_on": "Today when left empty."}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("measured") is not None and not data.get("measured_on"):
            data["measured_on"] = timezone.localdate()
        return data


class TargetMeasureForm(OrgRecordForm):
    """The whole target, for owners and managers: what it is and what was measured."""

    class Meta:
        model = ImprovementTarget
        fields = [*TargetForm.Meta.fields, "measured", "measured_on", "notes"]
        widgets = MeasureForm.Meta.widgets
        help_texts = MeasureForm.Meta.help_texts

    clean = MeasureForm.clean


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.RadioSelect)
    notes = forms.CharField(
        label="Decision notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to reject.",
    )


class CompleteForm(forms.Form):
    result_summary = forms.CharField(
        label="What did it achieve?", widget=forms.Textarea(attrs={"rows": 3})
    )


def apply_errors(form: forms.BaseForm, exc: Any) -> None:
    """Show a ValidationError from an action next to the fields it names (else on the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
