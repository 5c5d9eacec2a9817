from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "openitsms.improvement"
