from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "openitsms.audits"
    verbose_name = "Internal audit and certification"
