from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from avataq.admin import ReadOnlyAdmin, ReadOnlyTabularInline
from documents import services
from documents.forms import DocumentUploadForm
from documents.models import ApiKey, DocumentAccess, DocumentIndex, DocumentType, DocumentVersion
from documents.permissions import documents_visible_to


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "applies_to", "is_active"]
    list_filter = ["applies_to", "is_active"]
    search_fields = ["name", "code"]

    def get_readonly_fields(self, request: HttpRequest, obj: DocumentType | None = None) -> list:
        return ["code"] if obj else []  # it is part of stored keys


class DocumentVersionInline(ReadOnlyTabularInline):
    model = DocumentVersion
    fields = ["replaced_at", "replaced_by", "size", "sha256", "version_id", "archive_key"]


@admin.register(DocumentIndex)
class DocumentIndexAdmin(ReadOnlyAdmin):
    list_display = ["s3_key", "student", "scholar_year", "category", "size", "indexed_at"]
    list_filter = ["scholar_year", "category", "source_model"]
    list_select_related = ["student"]
    search_fields = ["=student_reference", "s3_key", "filename"]
    inlines = [DocumentVersionInline]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[DocumentIndex]:
        # The explorer's rule: a counsellor's students only, school documents to the
        # roles that handle them.
        return documents_visible_to(request.user).select_related("student")

    def has_view_permission(self, request: HttpRequest, obj: DocumentIndex | None = None) -> bool:
        return super().has_view_permission(request, obj) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )


@admin.register(DocumentAccess)
class DocumentAccessAdmin(ReadOnlyAdmin):
    list_display = ["accessed_at", "user", "s3_key", "ip_address"]
    list_select_related = ["user"]
    search_fields = ["s3_key", "user__username"]
    date_hierarchy = "accessed_at"
    show_full_result_count = False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `manage.py create_api_key NAME` shows the key once

    @admin.action(description="Revoke the selected API keys", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)


class DocumentUploadAdmin(admin.ModelAdmin):
    """Admin for a model inheriting ``S3DocumentMixin``: the file goes through the
    documents services (checks, key, streaming upload, index); replacing one keeps the
    prior version."""

    form = DocumentUploadForm
    identity_fields: list[str] = []  # what the key is made of: fixed once stored
    readonly_fields = [
        "stored_key",
        "original_filename",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "download",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list:
        fields = list(super().get_readonly_fields(request, obj))
        return fields + self.identity_fields if obj is not None else fields

    @admin.display(description="key")
    def stored_key(self, obj) -> str:
        return obj.key

    @admin.display(description="download")
    def download(self, obj) -> str:
        index = DocumentIndex.objects.filter(s3_key=obj.key).only("pk").first() if obj.pk else None
        if index is None:
            return "—"
        url = reverse("documents:download", args=[index.pk])
        return format_html('<a href="{}">Download (link valid 60 s)</a>', url)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        upload = form.cleaned_data.get("upload")
        if not change:
            services.document_store(document=obj, upload=upload, by=request.user)
        elif upload is not None:
            services.document_replace(document=obj, upload=upload, by=request.user)
