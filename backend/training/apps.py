from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "backend.training"
    label = "training"
