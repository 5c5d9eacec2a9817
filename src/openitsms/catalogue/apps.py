from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "openitsms.catalogue"
    verbose_name = "Requirements catalogue"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from openitsms.catalogue.loader import load_after_migrate

        post_migrate.connect(load_after_migrate, sender=self, dispatch_uid="catalogue_load")
