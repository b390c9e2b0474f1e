from django.urls import path

from billing import views

app_name = "finance"

urlpatterns = [
    path("", views.home, name="home"),
    path("statements/upload/", views.upload, name="upload"),
    path("files/<int:pk>/", views.statement_file, name="file"),
    path("statements/<int:pk>/", views.statement, name="statement"),
    path("statements/<int:pk>/accept/", views.accept, name="accept"),
    path("statements/<int:pk>/reject/", views.reject, name="reject"),
    path("lines/<int:line_pk>/match/", views.manual, name="manual"),
    path("lines/<int:line_pk>/invoice/", views.invoice, name="invoice"),
    path("lines/<int:line_pk>/write-off/", views.write_off, name="write-off"),
    path("matches/<int:match_pk>/undo/", views.undo, name="undo"),
    path("reports/", views.reports, name="reports"),
]
