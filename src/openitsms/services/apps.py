from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "openitsms.services"
