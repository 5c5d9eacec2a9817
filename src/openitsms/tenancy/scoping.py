"""The one mechanism that keeps every query inside the current organisation.

Every domain model inherits :class:`OrgScopedModel`. Its default manager ``objects`` filters
by the organisation bound to the current context (a request to an organisation's pages or API,
or an explicit ``with org_scope(org):`` in a command or task). Inside a web request that has
no organisation bound, touching ``objects`` of a scoped model raises :class:`OrgScopeMissing`
instead of returning every organisation's rows: forgetting the scope fails loudly.

``all_orgs`` is the explicit escape hatch for code that must see across organisations (the
audit chain verifier, the admin for superusers, the demo loader); grep for it in review.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import models

if TYPE_CHECKING:
    from openitsms.tenancy.models import Organisation

_M = TypeVar("_M", bound=models.Model)


class OrgScopeMissing(RuntimeError):
    """A scoped model was queried in a request with no current organisation."""


class _Unbound:
    """Marker: a web request is under way but no organisation is bound to it."""


UNBOUND = _Unbound()
_current: contextvars.ContextVar[Organisation | _Unbound | None] = contextvars.ContextVar(
    "openitsms_current_org", default=None
)


def current_org() -> Organisation | None:
    value = _current.get()
    return None if isinstance(value, _Unbound) else value


@contextmanager
def org_scope(org: Organisation | _Unbound | None) -> Iterator[None]:
    """Bind ``org`` as the current organisation for the duration of the block."""
    token = _current.set(org)
    try:
        yield
    finally:
        _current.reset(token)


class OrgScopedQuerySet(models.QuerySet[_M], Generic[_M]):
    def for_org(self, org: Organisation) -> OrgScopedQuerySet[_M]:
        return self.filter(organisation=org)

    @classmethod
    def as_manager(cls) -> Any:  # type: ignore[override]
        """A scoped manager with this QuerySet's methods.

        ``QuerySet.as_manager()`` would return a plain manager and silently drop the wall;
        this override keeps ``SomeQuerySet.as_manager()`` safe on scoped models.
        """
        return OrgScopedManager.from_queryset(cls)()


class OrgScopedManager(models.Manager[_M]):
    """Default manager of scoped models: filters by the bound organisation."""

    _queryset_class = OrgScopedQuerySet

    def get_queryset(self) -> OrgScopedQuerySet[_M]:
        qs: OrgScopedQuerySet[_M] = super().get_queryset()  # type: ignore[assignment]
        bound = _current.get()
        if isinstance(bound, _Unbound):
            raise OrgScopeMissing(
                f"{self.model.__name__} was queried in a request that has no current "
                "organisation; use an organisation-scoped view or `all_orgs` deliberately."
            )
        if bound is not None:
            qs = qs.filter(organisation=bound)
        return qs


class OrgScopedModel(models.Model):
    """Base of every record that belongs to one organisation."""

    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="organisation",
        editable=False,
    )

    objects: Any = OrgScopedManager()
    all_orgs: Any = models.Manager()

    class Meta:
        abstract = True
        base_manager_name = "all_orgs"
        default_manager_name = "objects"

    def save(self, *args: Any, **kwargs: Any) -> None:
        bound = current_org()
        if self.organisation_id is None and bound is not None:
            self.organisation = bound
        elif bound is not None and self.organisation_id != bound.pk:
            raise OrgScopeMissing(
                f"Refusing to save a {type(self).__name__} of another organisation "
                "inside this organisation's scope."
            )
        super().save(*args, **kwargs)


def bind_org_for_request(org: Organisation) -> None:
    """Bind ``org`` until the end of the current request.

    Only for the API's authentication step, which runs inside the scope that
    ``OrganisationScopeMiddleware`` opens and resets at the end of every request.
    """
    _current.set(org)
