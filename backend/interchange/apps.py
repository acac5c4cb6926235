from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "backend.interchange"
    label = "interchange"
