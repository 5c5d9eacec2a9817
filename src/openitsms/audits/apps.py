from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "openitsms.audits"
