from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class ScholarshipsConfig(AppConfig):
    name = "scholarships"
    verbose_name = pgettext_lazy("app", "Scholarships")
