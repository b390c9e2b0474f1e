from django.urls import path

from documents import api, views

app_name = "documents"

urlpatterns = [
    path("documents/", views.explorer, name="explorer"),
    path("documents/<int:pk>/download/", views.download, name="download"),
    path("documents/local/<str:token>/", views.local_download, name="local-download"),
    path("api/index/", api.ingest, name="api-index"),
    path("api/schema/", api.schema, name="api-schema"),
]
