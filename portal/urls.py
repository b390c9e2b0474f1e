from django.contrib.auth import views as auth_views
from django.urls import path

from portal.views import account, my, privacy, public

app_name = "portal"

urlpatterns = [
    path("", public.home, name="home"),
    path("how-to-apply/", public.how_to_apply, name="how_to_apply"),
    path("contact/", public.contact, name="contact"),
    path("faq/", public.faq, name="faq"),
    path("language/", public.language, name="language"),
    path("privacy/", privacy.policy, name="privacy_policy"),
    # Accounts
    path("account/signup/", account.signup, name="signup"),
    path("account/unconfirmed/", account.unconfirmed, name="unconfirmed"),
    path("account/confirm/<str:token>/", account.confirm, name="confirm"),
    path("account/claim/", account.claim, name="claim"),
    path("account/invitation/<str:token>/", account.invitation, name="invitation"),
    path("account/login/", account.LoginView.as_view(), name="login"),
    path("account/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/reset/", account.PasswordResetView.as_view(), name="password_reset"),
    path(
        "account/reset/sent/", account.PasswordResetDoneView.as_view(), name="password_reset_done"
    ),
    path(
        "account/reset/<uidb64>/<token>/",
        account.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/reset/done/",
        account.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # The student's own file
    path("my/", my.dashboard, name="dashboard"),
    path("my/enrollments/", my.enrollments, name="enrollments"),
    path("my/enrollments/apply/", my.apply, name="apply"),
    path("my/documents/", my.documents, name="documents"),
    path("my/documents/<int:item_id>/upload/", my.document_upload, name="document_upload"),
    path("my/documents/<int:item_id>/download/", my.document_download, name="document_download"),
    path("my/sheets/", my.sheets, name="sheets"),
    path("my/sheets/<int:sheet_id>/pdf/", my.sheet_download, name="sheet_pdf"),
    path("my/payments/", my.payments, name="payments"),
    path("my/direct-deposit/", my.direct_deposit, name="direct_deposit"),
    path("my/privacy/", privacy.my_privacy, name="privacy"),
    path("my/privacy/export/", privacy.export_request, name="export_request"),
    path("my/privacy/export/<int:request_id>/", privacy.export_download, name="export_download"),
    path("my/privacy/corrections/", privacy.correction_request, name="correction_request"),
    path("my/privacy/notice/", privacy.notice, name="notice"),
]
