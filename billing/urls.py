from django.urls import path

from billing import views, views_runs

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
    path("runs/", views_runs.run_list, name="runs"),
    path("runs/build/", views_runs.run_build, name="run-build"),
    path("runs/<int:pk>/", views_runs.run_detail, name="run"),
    path("runs/<int:pk>/approve/", views_runs.run_approve, name="run-approve"),
    path("runs/<int:pk>/cancel/", views_runs.run_cancel, name="run-cancel"),
    path("runs/<int:pk>/send/", views_runs.run_send, name="run-send"),
    path("runs/<int:pk>/file/<str:kind>/", views_runs.run_download, name="run-file"),
    path("runs/<int:pk>/ledger/<str:fmt>/", views_runs.run_export, name="run-ledger"),
    path("ledger/", views_runs.ledger_export, name="ledger"),
]
