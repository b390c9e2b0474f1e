from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = pgettext_lazy("app", "Enrollment")
