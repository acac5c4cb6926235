from django.apps import AppConfig


class LabelsConfig(AppConfig):
    name = "backend.labels"
    label = "labels"
