from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "openitsms.evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from openitsms.evidence import jobs  # noqa: F401  (registers the verification job)
