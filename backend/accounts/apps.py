from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def _create_cache_table(sender: AppConfig, using: str, **kwargs: object) -> None:
    # Without Redis, the shared cache (login throttles, lockouts) is a database table;
    # `migrate` creates it so no deployment step can be forgotten. No-op with Redis.
    call_command("createcachetable", database=using, verbosity=0)


class AccountsConfig(AppConfig):
    name = "backend.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib import admin

        from backend.accounts.admin_login import GuardedAdminAuthenticationForm

        admin.site.login_form = GuardedAdminAuthenticationForm
        post_migrate.connect(_create_cache_table, sender=self)
