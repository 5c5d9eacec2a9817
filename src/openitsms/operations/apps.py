from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "openitsms.operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        from openitsms.operations import jobs  # noqa: F401  (registers the import job)
