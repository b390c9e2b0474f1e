from __future__ import annotations

from pathlib import PurePosixPath

from django import forms
from django.utils.translation import gettext_lazy as _

from documents import selectors
from documents.models import DocumentType
from scholarships.models import ScholarYear, School


class DocumentTypeChoiceField(forms.ModelChoiceField):
    """Document types named in the reader's language."""

    def label_from_instance(self, obj: DocumentType) -> str:
        return obj.label()


class ExplorerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    student = forms.RegexField(
        label=_("Status number"), regex=r"^[0-9]{1,12}$", required=False, max_length=12
    )
    scholar_year = forms.ModelChoiceField(
        label=_("Scholar year"),
        queryset=ScholarYear.objects.all(),
        to_field_name="code",
        required=False,
    )
    category = DocumentTypeChoiceField(
        label=_("Category"),
        queryset=DocumentType.objects.all(),
        to_field_name="code",
        required=False,
    )
    school = forms.ModelChoiceField(
        label=_("School"), queryset=School.objects.all(), required=False
    )

    def filters(self) -> selectors.ExplorerFilters:
        data = self.cleaned_data
        return selectors.ExplorerFilters(
            q=data["q"].strip(),
            student=data["student"] or "",
            scholar_year=data["scholar_year"].code if data["scholar_year"] else "",
            category=data["category"].code if data["category"] else "",
            school=data["school"].pk if data["school"] else None,
        )


class DocumentUploadForm(forms.ModelForm):
    """The admin's form for any uploader model: a real file field whose content goes
    through ``documents.services`` (never saved by the model field itself)."""

    upload = forms.FileField(label=_("File"), required=False)

    def clean_upload(self):
        from documents.services import DocumentRejected, upload_check

        upload = self.cleaned_data.get("upload")
        if upload is None:
            if not self.instance.pk:
                raise forms.ValidationError(_("Choose a file to upload."))
            return None
        try:
            upload_check(upload)
        except DocumentRejected as exc:
            raise forms.ValidationError(_("Refused: %(reason)s.") % {"reason": exc}) from None
        if self.instance.pk and not self.instance.key.lower().endswith(
            PurePosixPath(upload.name or "").suffix.lower() or "."
        ):
            raise forms.ValidationError(
                _("A replacement must be the same kind of file as %(name)s.")
                % {"name": PurePosixPath(self.instance.key).name}
            )
        return upload
