from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "openitsms.audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from openitsms.audit import jobs, signals  # noqa: F401  (jobs registers its handler)

        signals.connect()
