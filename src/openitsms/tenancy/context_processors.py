from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from openitsms import __version__, navigation
from openitsms.tenancy.models import Membership


def organisations(request: HttpRequest) -> dict[str, Any]:
    """The organisation switcher's entries and the current organisation, for every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"OPENITSMS_VERSION": __version__}
    org = getattr(request, "org", None)
    return {
        "org_nav": navigation.build(org.slug, request.resolver_match) if org else [],
        "OPENITSMS_VERSION": __version__,
        "my_memberships": Membership.objects.filter(user=user).select_related("organisation"),
        "current_org": getattr(request, "org", None),
        "current_membership": getattr(request, "membership", None),
    }
