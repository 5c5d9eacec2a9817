from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from openitsms.catalogue.loader import load_catalogue


class Command(BaseCommand):
    help = "Load or refresh the standards catalogue and crosswalks from the packaged data files."

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_catalogue()
        self.stdout.write(f"Catalogue loaded: {result}.")
