from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from openitsms.tenancy.choices import Role
from openitsms.tenancy.models import Organisation
from openitsms.tenancy.scoping import OrgScopedModel, OrgScopeMissing, current_org

User = get_user_model()


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class SignUpForm(UserCreationForm):  # type: ignore[type-arg]
    """Creates the account of an invited person; the email comes from the invitation."""

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name")


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise forms.ValidationError(
            f"“{value}” is not a time zone name; use one like Europe/London or America/New_York."
        ) from None


class OrganisationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Organisation
        fields = ("name", "slug", "time_zone")

    def clean_time_zone(self) -> str:
        value: str = self.cleaned_data["time_zone"].strip()
        validate_time_zone(value)
        return value


class OrgScopedFormMixin:
    """Narrows every choice of records to the organisation's own, and people to its members.

    Choice fields for related records are built when the form class is defined, with no
    organisation bound, so they would list every organisation's rows. The organisation is the
    one given, or else the one bound to the current request by ``org_view`` or the API.
    """

    fields: dict[str, Any]

    def __init__(self, *args: Any, organisation: Organisation | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = organisation or current_org()
        if organisation is None:
            raise OrgScopeMissing(f"{type(self).__name__} needs an organisation to offer choices.")
        self.organisation = organisation
        scope_choice_fields(self.fields, organisation)


class OrgModelForm(OrgScopedFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    """A ModelForm for an organisation's records (see OrgScopedFormMixin)."""


class OrgForm(OrgScopedFormMixin, forms.Form):
    """A plain form (filters, bulk edits) that offers an organisation's records as choices."""


def scope_choice_fields(fields: dict[str, Any], organisation: Organisation) -> None:
    User = get_user_model()
    for field in fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is None:
            continue
        model = queryset.model
        if issubclass(model, OrgScopedModel):
            field.queryset = queryset.filter(organisation=organisation)
        elif issubclass(model, User):
            field.queryset = queryset.filter(memberships__organisation=organisation).distinct()
