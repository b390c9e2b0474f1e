"""Computing sheets and scheduled payments keep a history (each computation, validation,
payment step: who and when; the admin's History lists what changed). Rows that exist
already get their first history row now, as they stand, so the first change after this
release shows what it changed. The other changes only name fields for people."""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

BACKFILL = """
INSERT INTO billing_historicalcomputingsheet
    (id, revision, status, months, total, school_total, student_total, recovery,
     created_at, computed_at, validated_at, enrollment_id, previous_id, validated_by_id,
     history_date, history_type, history_user_id)
SELECT id, revision, status, months, total, school_total, student_total, recovery,
       created_at, computed_at, validated_at, enrollment_id, previous_id, validated_by_id,
       now(), '+', NULL
FROM billing_computingsheet;

INSERT INTO billing_historicalscheduledpayment
    (id, reference, payee, code, period, due_date, amount, status, reconciled_amount,
     created_at, enrollment_id, school_id, sheet_id, history_date, history_type,
     history_user_id)
SELECT id, reference, payee, code, period, due_date, amount, status, reconciled_amount,
       created_at, enrollment_id, school_id, sheet_id, now(), '+', NULL
FROM billing_scheduledpayment;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_sheets_frozen_once_validated"),
        ("enrollment", "0003_checklist_item_history"),
        ("scholarships", "0005_student_access_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="computingsheet",
            name="previous",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="next_revision",
                to="billing.computingsheet",
                verbose_name="previous revision",
            ),
        ),
        migrations.AlterField(
            model_name="computingsheet",
            name="validated_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="validated by",
            ),
        ),
        migrations.AlterField(
            model_name="scheduledpayment",
            name="enrollment",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="enrollment.enrollment",
                verbose_name="enrollment",
            ),
        ),
        migrations.AlterField(
            model_name="scheduledpayment",
            name="school",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="scholarships.school",
                verbose_name="school",
            ),
        ),
        migrations.AlterField(
            model_name="scheduledpayment",
            name="sheet",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="billing.computingsheet",
                verbose_name="computing sheet",
            ),
        ),
        migrations.CreateModel(
            name="HistoricalComputingSheet",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("revision", models.PositiveSmallIntegerField(default=1, verbose_name="revision")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("validated", "Validated"),
                            ("superseded", "Superseded"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="draft",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "months",
                    models.PositiveSmallIntegerField(default=0, verbose_name="months counted"),
                ),
                (
                    "total",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=12, verbose_name="total"
                    ),
                ),
                (
                    "school_total",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=12, verbose_name="to the school"
                    ),
                ),
                (
                    "student_total",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=12, verbose_name="to the student"
                    ),
                ),
                (
                    "recovery",
                    models.DecimalField(
                        decimal_places=2,
                        default=0,
                        max_digits=12,
                        verbose_name="recovery (owed by the student)",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(blank=True, editable=False, verbose_name="created"),
                ),
                (
                    "computed_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="computed"),
                ),
                (
                    "validated_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="validated"),
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
                    "previous",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="billing.computingsheet",
                        verbose_name="previous revision",
                    ),
                ),
                (
                    "validated_by",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="validated by",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical computing sheet",
                "verbose_name_plural": "historical computing sheets",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
                "default_permissions": (),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalScheduledPayment",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "reference",
                    models.CharField(db_index=True, max_length=40, verbose_name="reference"),
                ),
                (
                    "payee",
                    models.CharField(
                        choices=[("school", "School"), ("student", "Student")],
                        max_length=10,
                        verbose_name="payee",
                    ),
                ),
                ("code", models.CharField(max_length=20, verbose_name="line code")),
                (
                    "period",
                    models.DateField(
                        help_text="The month or date this payment is for.", verbose_name="for"
                    ),
                ),
                ("due_date", models.DateField(verbose_name="due")),
                (
                    "amount",
                    models.DecimalField(decimal_places=2, max_digits=12, verbose_name="amount"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("scheduled", "Scheduled"),
                            ("sent", "Sent"),
                            ("paid", "Paid"),
                            ("reconciled", "Reconciled"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="scheduled",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "reconciled_amount",
                    models.DecimalField(
                        decimal_places=2, default=0, max_digits=12, verbose_name="reconciled"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(blank=True, editable=False, verbose_name="created"),
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
                    "school",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="scholarships.school",
                        verbose_name="school",
                    ),
                ),
                (
                    "sheet",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="billing.computingsheet",
                        verbose_name="computing sheet",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical scheduled payment",
                "verbose_name_plural": "historical scheduled payments",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
                "default_permissions": (),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
