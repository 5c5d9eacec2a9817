from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST

from openitsms.accounts.forms import ApiTokenForm, ThrottledAuthenticationForm
from openitsms.accounts.models import ApiToken


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, "Your password was changed.")
        return super().form_valid(form)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", {})


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm()
    # The clear token survives exactly one redirect in the session, so that reloading the page
    # neither shows it again nor re-posts the form and creates a second token.
    new_token = request.session.pop("new_api_token", None)
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            token, clear = ApiToken.issue(user=request.user, name=form.cleaned_data["name"])
            request.session["new_api_token"] = clear
            messages.success(
                request, f"Token “{token.name}” created. Copy it now: it is shown once."
            )
            return redirect("accounts:token_list")
    tokens = ApiToken.objects.filter(user=request.user.pk)
    return render(
        request,
        "accounts/token_list.html",
        {"tokens": tokens, "form": form, "new_token": new_token},
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.active(), pk=pk, user=request.user)
    token.revoke()
    messages.success(request, f"Token “{token.name}” was revoked; it no longer works.")
    return redirect("accounts:token_list")
