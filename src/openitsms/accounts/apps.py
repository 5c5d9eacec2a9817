from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openitsms.accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from openitsms.accounts import signals

        signals.connect()
