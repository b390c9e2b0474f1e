"""Checklist items keep a history (each upload and review, who and when). Items that
exist already get their first history row now, as they stand, so the first change after
this release shows what it changed."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

BACKFILL = """
INSERT INTO enrollment_historicalchecklistitem
    (id, status, reason, reviewed_at, updated_at, document_id, document_type_id,
     enrollment_id, reviewed_by_id, history_date, history_type, history_user_id)
SELECT id, status, reason, reviewed_at, updated_at, document_id, document_type_id,
       enrollment_id, reviewed_by_id, now(), '+', NULL
FROM enrollment_checklistitem
"""


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0002_document_types"),
        ("enrollment", "0002_enrollmentdocument_checklistitem_requireddocument"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="checklistitem",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="reviewed by",
            ),
        ),
        migrations.CreateModel(
            name="HistoricalChecklistItem",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("missing", "Missing"),
                            ("received", "Received"),
                            ("accepted", "Accepted"),
                            ("refused", "Refused"),
                        ],
                        default="missing",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "reason",
                    models.TextField(
                        blank=True, help_text="Why it was refused.", verbose_name="reason"
                    ),
                ),
                (
                    "reviewed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="reviewed"),
                ),
                (
                    "updated_at",
                    models.DateTimeField(blank=True, editable=False, verbose_name="updated"),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "document",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="enrollment.enrollmentdocument",
                        verbose_name="document",
                    ),
                ),
                (
                    "document_type",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="documents.documenttype",
                        verbose_name="document type",
                    ),
                ),
                (
                    "enrollment",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="enrollment.enrollment",
                        verbose_name="enrollment",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reviewed by",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical checklist item",
                "verbose_name_plural": "historical checklist items",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
                "default_permissions": (),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
