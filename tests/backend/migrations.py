"""Run one app's migrations back and forth for real, for data-migration tests."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets: list[tuple[str, str]]):
    """Migrate to ``targets`` (one app's nodes); the models of every app as they are then."""
    apps_migrated = {app for app, _ in targets}
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    others = [n for n in executor.loader.graph.leaf_nodes() if n[0] not in apps_migrated]
    return executor.loader.project_state([*others, *targets]).apps


def migrate_to_latest() -> None:
    """Every app back to its newest migration."""
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
