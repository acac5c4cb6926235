from django.apps import AppConfig


class LabelsConfig(AppConfig):
    name = "backend.labels"
    label = "labels"

    def ready(self) -> None:
        # Register the Celery tasks with the worker (config/celery.py autodiscovers a fixed list).
        from backend.labels import tasks  # noqa: F401
