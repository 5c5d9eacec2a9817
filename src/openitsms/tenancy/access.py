"""Access to an organisation's pages: membership is checked once, here, for every view.

Anyone who is not a member gets 404 (the organisation's existence is not confirmed); a member
whose role does not allow the action gets 403 with a message.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from openitsms.tenancy.models import Membership, Organisation
from openitsms.tenancy.scoping import org_scope

Check = Callable[[Membership], bool]
M = TypeVar("M", bound=Model)


def can_edit(m: Membership) -> bool:
    return m.can_edit


def can_manage_members(m: Membership) -> bool:
    return m.can_manage_members


def can_record_findings(m: Membership) -> bool:
    return m.can_record_findings


def membership_for(user: Any, org_slug: str) -> Membership | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return (
        Membership.objects.select_related("organisation")
        .filter(user=user, organisation__slug=org_slug)
        .first()
    )


def org_view(
    require: Check | None = None, *, message: str = "Your role does not allow this."
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view under ``/o/<org_slug>/``: binds ``request.org`` and the query scope."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = membership_for(request.user, org_slug)
            if membership is None:
                raise Http404("No such organisation.")
            if require is not None and not require(membership):
                raise PermissionDenied(message)
            request.org = membership.organisation  # type: ignore[attr-defined]
            request.membership = membership  # type: ignore[attr-defined]
            # Dates on the organisation's pages read in its time zone (stored in UTC).
            with (
                org_scope(membership.organisation),
                timezone.override(membership.organisation.time_zone),
            ):
                return view(request, *args, **kwargs)

        return wrapper

    return decorator


def get_org_object(model: type[M], request: HttpRequest, **lookup: Any) -> M:
    """Load one record of the current organisation or raise 404."""
    org: Organisation = request.org  # type: ignore[attr-defined]
    return get_object_or_404(model.objects.filter(organisation=org), **lookup)  # type: ignore[attr-defined]


def api_require(
    request: HttpRequest, check: Check, message: str = "Your role does not allow this."
) -> Membership:
    """In an API handler: the caller's membership, or 403 when its role fails ``check``."""
    from ninja.errors import HttpError

    membership: Membership = request.membership  # type: ignore[attr-defined]
    if not check(membership):
        raise HttpError(403, message)
    return membership


def any_member(m: Membership) -> bool:
    return True


def request_org(request: HttpRequest) -> Organisation:
    """The organisation bound to this request by ``org_view`` or the API's authentication."""
    return request.org  # type: ignore[attr-defined,no-any-return]


def request_membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]
