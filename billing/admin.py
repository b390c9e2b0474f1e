from django.contrib import admin

from billing.models import SchoolInvoice, SchoolInvoiceDocument
from documents.admin import DocumentUploadAdmin


@admin.register(SchoolInvoice)
class SchoolInvoiceAdmin(admin.ModelAdmin):
    list_display = ["invoice_number", "school", "scholar_year", "issued_on", "total", "status"]
    list_filter = ["status", "scholar_year", "school"]
    list_select_related = ["school", "scholar_year"]
    search_fields = ["invoice_number", "school__name", "=school__code"]
    autocomplete_fields = ["school", "scholar_year"]


@admin.register(SchoolInvoiceDocument)
class SchoolInvoiceDocumentAdmin(DocumentUploadAdmin):
    list_display = ["__str__", "invoice", "student", "uploaded_at"]
    list_select_related = ["invoice__school", "student"]
    search_fields = ["invoice__invoice_number", "=student__status_no", "student__last_name"]
    autocomplete_fields = ["invoice", "student"]
    identity_fields = ["invoice", "student"]
