from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from openitsms.audit.choices import AuditAction
from openitsms.audit.models import AuditEvent
from openitsms.tenancy.access import request_org

router = Router(tags=["audit trail"])


class AuditEventOut(Schema):
    seq: int
    at: datetime
    actor: str
    action: AuditAction
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    hash: str

    @staticmethod
    def resolve_actor(obj: AuditEvent) -> str:
        return obj.actor_label


class AuditFilter(Schema):
    action: AuditAction | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None


@router.get("/orgs/{org}/audit-events", response=list[AuditEventOut], summary="The audit trail")
@paginate(PageNumberPagination)
def event_list(request: HttpRequest, org: str, filters: Query[AuditFilter]):  # type: ignore[no-untyped-def]
    events = AuditEvent.objects.for_org(request_org(request))
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.since:
        events = events.filter(at__gte=filters.since)
    return events
