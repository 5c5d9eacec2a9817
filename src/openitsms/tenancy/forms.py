from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from openitsms.tenancy.choices import Role

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
