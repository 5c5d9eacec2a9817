from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "openitsms.tenancy"
    verbose_name = "Organisations"
