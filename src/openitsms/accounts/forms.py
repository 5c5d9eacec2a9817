from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from openitsms.accounts.throttle import is_locked, minutes_to_wait


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form; refuses further attempts after repeated failures for a username."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The username or password is not right. Both are case-sensitive.",
        "throttled": (
            "Too many failed attempts for this account. Wait %(minutes)s minutes and try again, "
            "or reset your password."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if username and is_locked(username):
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": minutes_to_wait()},
            )
        return super().clean()


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="Token name", help_text="What it is for, e.g. 'nightly export'."
    )
