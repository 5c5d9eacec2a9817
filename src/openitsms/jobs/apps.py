from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "openitsms.jobs"
    verbose_name = "Background jobs"
