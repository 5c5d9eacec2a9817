from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "openitsms.improvement"
    verbose_name = "Improvement: actions, nonconformities, continual improvement"
