"""The organisation's overview page: a tile per area, each from that app's ``overview.py``.

An app contributes ``tiles(org, membership, today) -> list[Tile]``; the overview shows what
needs attention first. Apps are asked in INSTALLED_APPS order.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.apps import apps

TONES = ("ok", "warn", "bad", "neutral")


@dataclass(frozen=True)
class Tile:
    """One figure on the overview, with what it means and where to act on it."""

    label: str
    value: str
    detail: str = ""
    url: str = ""
    tone: str = "neutral"

    @property
    def tone_label(self) -> str:
        return {"ok": "In order", "warn": "Needs attention", "bad": "Action needed"}.get(
            self.tone, ""
        )


def collect(org: Any, membership: Any, today: date) -> list[Tile]:
    tiles: list[Tile] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("openitsms."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.overview")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.overview":
                raise
            continue
        tiles.extend(module.tiles(org, membership, today))
    return tiles
