"""Forms of the services app. Choice fields pointing at scoped models get their querysets in
``__init__`` (inside the organisation's scope); the views save through ``actions``."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from openitsms.evidence.models import EvidenceItem
from openitsms.services.choices import (
    AgreementKind,
    DurationUnit,
    OutageKind,
    PartyKind,
    Weekday,
    WeekPattern,
)
from openitsms.services.models import (
    Agreement,
    AvailabilityTarget,
    Calendar,
    CalendarClosure,
    MeasurableTarget,
    Outage,
    Party,
    Service,
    TimeTarget,
    seconds_for,
)
from openitsms.services.models.calendars import (
    holiday_countries,
    holiday_region_errors,
    overlap_message,
    time_zone_names,
)
from openitsms.tenancy.forms import OrgModelForm
from openitsms.tenancy.models import Organisation

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def member_users(organisation: Organisation) -> Any:
    """The organisation's members, for owner fields."""
    return (
        get_user_model()
        .objects.filter(memberships__organisation=organisation)
        .order_by("first_name", "last_name", "username")
    )


def _choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """A model choice field of ``form``, typed, to set its queryset in ``__init__``."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class PartyForm(forms.ModelForm):
    class Meta:
        model = Party
        fields = ["name", "kind", "contact", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class ServiceForm(OrgModelForm):
    owner = UserChoiceField(queryset=None, required=False, help_text=Service.owner.field.help_text)

    class Meta:
        model = Service
        fields = [
            "name",
            "description",
            "owner",
            "lifecycle",
            "criticality",
            "customers",
            "suppliers",
            "depends_on",
            "configuration_items",
            "evidence",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "configuration_items": forms.Textarea(attrs={"rows": 4}),
            "customers": forms.CheckboxSelectMultiple,
            "suppliers": forms.CheckboxSelectMultiple,
            "depends_on": forms.CheckboxSelectMultiple,
            "evidence": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        _choices(self, "owner").queryset = member_users(organisation)
        _choices(self, "customers").queryset = Party.objects.filter(
            kind__in=[PartyKind.CUSTOMER, PartyKind.INTERNAL]
        )
        _choices(self, "suppliers").queryset = Party.objects.filter(
            kind__in=[PartyKind.SUPPLIER, PartyKind.INTERNAL]
        )
        others = Service.objects.all()
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        _choices(self, "depends_on").queryset = others
        _choices(self, "evidence").queryset = EvidenceItem.objects.live().order_by("title")
        self.fields["evidence"].help_text = "Hold Ctrl (⌘ on a Mac) to choose several."

    def clean_depends_on(self) -> Any:
        chosen = self.cleaned_data["depends_on"]
        if not self.instance.pk:
            return chosen
        # A dependency on a service that (through others) depends on this one is a cycle.
        for other in chosen:
            if self.instance.pk in other.dependency_closure() or other.pk == self.instance.pk:
                raise ValidationError(
                    f"{other} already depends on {self.instance}: the dependency would be a circle."
                )
        return chosen


class CalendarForm(forms.ModelForm):
    holiday_country = forms.ChoiceField(
        required=False,
        label="Public holidays of",
        help_text=Calendar.holiday_country.field.help_text,
    )
    week_pattern = forms.ChoiceField(
        choices=WeekPattern.choices,
        initial=WeekPattern.OFFICE,
        label="Start with these working hours",
        help_text="You can change the hours day by day afterwards.",
    )

    class Meta:
        model = Calendar
        fields = ["name", "description", "time_zone", "holiday_country", "holiday_subdivision"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "time_zone": forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = self.fields["holiday_country"]
        assert isinstance(country, forms.ChoiceField)
        country.choices = [
            ("", "No public holidays"),
            *((code, f"{name} ({code})") for code, name in holiday_countries()),
        ]
        if self.instance.pk:
            del self.fields["week_pattern"]
        self.time_zone_names = time_zone_names()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        country = (data.get("holiday_country") or "").strip().upper()
        subdivision = (data.get("holiday_subdivision") or "").strip().upper()
        data["holiday_country"], data["holiday_subdivision"] = country, subdivision
        for field, message in holiday_region_errors(country, subdivision).items():
            self.add_error(field, message)
        return data


class EndTimeField(forms.TimeField):
    """A time that also accepts 24:00, the midnight at the end of the day (kept as 00:00)."""

    def to_python(self, value: Any) -> time | None:
        if isinstance(value, str) and value.strip() in {"24:00", "24:00:00"}:
            return time(0)
        return super().to_python(value)


class SegmentForm(forms.Form):
    """Working hours to add to one or several weekdays at once."""

    prefix = "segment"

    weekdays = forms.TypedMultipleChoiceField(
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Days",
    )
    starts_at = forms.TimeField(
        label="From", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    ends_at = EndTimeField(
        label="Until",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "17:00"}),
        help_text="HH:MM. An earlier time than the start runs past midnight; 24:00 is midnight.",
    )

    def __init__(self, *args: Any, calendar: Calendar, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calendar = calendar

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at is None or ends_at is None or not data.get("weekdays"):
            return data
        raw_end = str(self.data.get(self.add_prefix("ends_at"), "")).strip()
        whole_day = starts_at == time(0) and raw_end.startswith("24")
        if starts_at == ends_at and not whole_day:
            self.add_error(
                "ends_at",
                "This segment is empty: its end equals its start. For the whole day use 00:00 "
                "to 24:00.",
            )
            return data
        existing = list(self.calendar.segments.all())
        placed: list[Any] = []
        for weekday in data["weekdays"]:
            message = overlap_message(weekday, starts_at, ends_at, [*existing, *placed])
            if message:
                self.add_error("starts_at", f"{Weekday(weekday).label}: {message}")
                break
            placed.append(_Span(weekday, starts_at, ends_at))
        return data


class _Span:
    """A segment about to be added, for the overlap check between the chosen days."""

    def __init__(self, weekday: int, starts_at: time, ends_at: time) -> None:
        self.weekday, self.starts_at, self.ends_at = weekday, starts_at, ends_at


class ClosureForm(forms.ModelForm):
    prefix = "closure"

    class Meta:
        model = CalendarClosure
        fields = ["name", "starts_on", "ends_on"]
        labels = {"starts_on": "First day", "ends_on": "Last day"}
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "The last day cannot be before the first.")
        return data


class AgreementForm(OrgModelForm):
    owner = UserChoiceField(
        queryset=None, required=False, help_text=Agreement.owner.field.help_text
    )

    class Meta:
        model = Agreement
        fields = [
            "reference",
            "title",
            "kind",
            "parties",
            "services",
            "valid_from",
            "valid_until",
            "review_due",
            "calendar",
            "pause_statuses",
            "reopen_policy",
            "owner",
            "notes",
            "evidence",
        ]
        widgets = {
            "parties": forms.CheckboxSelectMultiple,
            "services": forms.CheckboxSelectMultiple,
            "valid_from": DateInput(),
            "valid_until": DateInput(),
            "review_due": DateInput(),
            "pause_statuses": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "reopen_policy": forms.RadioSelect,
            "evidence": forms.SelectMultiple(attrs={"size": 5}),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, organisation=organisation, **kwargs)
        _choices(self, "owner").queryset = member_users(organisation)
        _choices(self, "parties").queryset = Party.objects.all()
        _choices(self, "services").queryset = Service.objects.all()
        _choices(self, "calendar").queryset = Calendar.objects.all()
        _choices(self, "evidence").queryset = EvidenceItem.objects.live().order_by("title")
        self.fields["evidence"].required = False

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            self.add_error("valid_until", "The agreement cannot end before it starts.")
        return data


class TimeTargetForm(forms.ModelForm):
    prefix = "time"

    class Meta:
        model = TimeTarget
        fields = ["kind", "priority", "request_type", "amount", "unit"]
        labels = {"kind": "Clock", "amount": "Target"}

    def __init__(self, *args: Any, agreement: Agreement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self.fields["amount"].widget.attrs.update({"min": "0.01", "step": "any"})

    def clean_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["amount"]
        if amount <= 0:
            raise ValidationError("Enter a target above zero.")
        return amount

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        amount, unit = data.get("amount"), data.get("unit")
        if amount is None or not unit:
            return data
        day = self.agreement.calendar.business_day_seconds()
        if unit == DurationUnit.BUSINESS_DAYS and not day:
            self.add_error(
                "unit",
                f"{self.agreement.calendar} has no working hours, so a business day has no "
                "length: enter the target in hours or minutes.",
            )
            return data
        seconds = seconds_for(amount, unit, day)
        if seconds <= 0:
            self.add_error("amount", "This comes to less than one second: enter a larger target.")
        self.instance.seconds = seconds
        self.instance.agreement = self.agreement
        data["priority"] = (data.get("priority") or "").strip()
        data["request_type"] = (data.get("request_type") or "").strip()
        clash = TimeTarget.objects.filter(
            agreement=self.agreement,
            kind=data.get("kind"),
            priority=data["priority"],
            request_type=data["request_type"],
        ).exclude(pk=self.instance.pk)
        if clash.exists():
            self.add_error(
                "priority",
                "The agreement already has this target for this priority and request type.",
            )
        return data


class AvailabilityTargetForm(forms.ModelForm):
    prefix = "availability"

    class Meta:
        model = AvailabilityTarget
        fields = ["period", "percent"]
        labels = {"percent": "At least (%)"}

    def __init__(self, *args: Any, agreement: Agreement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agreement = agreement
        self.fields["percent"].widget.attrs.update({"min": "0.001", "max": "100", "step": "any"})

    def clean_percent(self) -> Decimal:
        percent: Decimal = self.cleaned_data["percent"]
        if not Decimal(0) < percent <= Decimal(100):
            raise ValidationError("Enter a percentage above 0 and at most 100.")
        return percent

    def clean_period(self) -> str:
        period: str = self.cleaned_data["period"]
        clash = AvailabilityTarget.objects.filter(agreement=self.agreement, period=period)
        if clash.exclude(pk=self.instance.pk).exists():
            raise ValidationError("The agreement already has a target for this period.")
        return period


class MeasurableTargetForm(forms.ModelForm):
    prefix = "other"

    class Meta:
        model = MeasurableTarget
        fields = ["name", "comparator", "value", "unit"]
        labels = {"comparator": "Must be"}

    def __init__(self, *args: Any, agreement: Agreement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agreement = agreement

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = MeasurableTarget.objects.filter(agreement=self.agreement, name=name)
        if clash.exclude(pk=self.instance.pk).exists():
            raise ValidationError("The agreement already has a target with this name.")
        return name


class OutageForm(OrgModelForm):
    starts_at = forms.DateTimeField(
        widget=DateTimeLocalInput(), input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"]
    )
    ends_at = forms.DateTimeField(
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        help_text=Outage.ends_at.field.help_text,
    )

    class Meta:
        model = Outage
        fields = [
            "service",
            "kind",
            "title",
            "starts_at",
            "ends_at",
            "cause",
            "incident_ref",
            "change_ref",
            "notes",
        ]
        widgets = {
            "cause": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "kind": forms.RadioSelect,
        }

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "service").queryset = services
        self.fields["kind"].initial = OutageKind.UNPLANNED
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = (
                self.fields[name].help_text + " Times are in the organisation's time zone."
            ).strip()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at < starts_at:
            self.add_error("ends_at", "An outage cannot end before it starts.")
        return data


AGREEMENT_KIND_HELP = {
    AgreementKind.SLA: "with customers",
    AgreementKind.OLA: "with internal teams",
    AgreementKind.UC: "with external suppliers",
}
