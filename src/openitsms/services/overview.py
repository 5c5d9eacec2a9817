from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from openitsms.overview import Tile
from openitsms.services.models import Agreement


def tiles(org: Any, membership: Any, today: date) -> list[Tile]:
    agreements = Agreement.objects.filter(organisation=org)
    expired = agreements.expired(today).count()
    review = agreements.review_overdue(today).count()
    return [
        Tile(
            label="Agreements expired or past review",
            value=str(expired + review),
            detail=f"{expired} expired · {review} past their review date",
            url=reverse("services:agreement_list", kwargs={"org_slug": org.slug}),
            tone="bad" if expired else ("warn" if review else "ok"),
        )
    ]
