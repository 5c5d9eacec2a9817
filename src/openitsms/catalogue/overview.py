from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from openitsms.catalogue import tree
from openitsms.overview import Tile


def tiles(org: Any, membership: Any, today: date) -> list[Tile]:
    s = tree.summarise(org, today)
    url = reverse("catalogue:requirement_list", kwargs={"org_slug": org.slug})
    tone = "bad" if s.nonconformant else ("warn" if s.partial or s.not_assessed else "ok")
    return [
        Tile(
            label="Requirements conformant",
            value=f"{s.conformant} of {s.total}",
            detail=(
                f"{s.partial} partial · {s.nonconformant} nonconformant · "
                f"{s.not_assessed} not assessed · {s.no_evidence} without evidence"
            ),
            url=url,
            tone=tone,
        )
    ]
