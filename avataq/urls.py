from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from avataq import views
from avataq.metrics import metrics_view

admin.site.site_header = _("Avataq administration")
admin.site.site_title = "Avataq"
admin.site.index_title = _("Sponsorship program")
admin.site.site_url = "/"

handler500 = "avataq.views.server_error"

urlpatterns = [
    path("health/", views.health, name="health"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("finance/", include("billing.urls")),
    path("", include("documents.urls")),
    path("", include("portal.urls")),
]
