from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_celery_results.models import TaskResult


class BackupRecord(models.Model):
    """One attempt at backing up the database, whatever its outcome."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        PRUNED = "pruned", _("Pruned")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    trigger = models.CharField(_("trigger"), max_length=20, default="manual")
    database = models.CharField(_("database"), max_length=100)
    key = models.CharField(_("key"), max_length=512, blank=True)
    size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    encrypted = models.BooleanField(_("encrypted"), default=False)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)
    verification = models.TextField(_("verification result"), blank=True)
    # How a run is known dead, and a redelivered task known to have run already.
    task_id = models.CharField(_("task"), max_length=255, blank=True)
    lock_pid = models.IntegerField(_("PostgreSQL process holding its lock"), null=True, blank=True)
    # Multipart uploads begun and not completed or aborted: aborted later when S3 answers.
    pending_uploads = models.JSONField(_("uploads to abort"), default=list, blank=True)

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "-started_at"], name="backup_status_started_idx")]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status} {self.key}"

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class LegacyRecord(models.Model):
    """Where an imported row came from: one record of the Odoo 16 system (its model, its
    database id and/or external id), the row of ours it became, and a digest of what the
    source said last time, so importing again updates only what changed and never makes
    a second row. ``odoo_model`` is the Odoo model's technical name; for a row made from
    a link between two records (a bank line matched to a payment) it is
    ``model:field`` and ``external_id`` names both ends."""

    odoo_model = models.CharField(_("Odoo model"), max_length=128)
    odoo_id = models.BigIntegerField(_("Odoo id"), null=True, blank=True)
    external_id = models.CharField(_("external id"), max_length=255, blank=True)
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("imported as"),
    )
    object_id = models.BigIntegerField(_("row"))
    target = GenericForeignKey("content_type", "object_id")
    digest = models.CharField(_("digest of the source values"), max_length=40)
    source = models.CharField(_("read from"), max_length=300, blank=True)
    imported_at = models.DateTimeField(_("first imported"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed by an import"), auto_now=True)

    class Meta:
        verbose_name = _("Odoo origin")
        verbose_name_plural = _("Odoo origins")
        # No one edits it; it shows on the admin page of the row it describes, to whoever
        # may see that row (templates/admin/change_form.html).
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["odoo_model", "odoo_id"],
                condition=models.Q(odoo_id__isnull=False),
                name="legacy_record_odoo_id_once",
            ),
            models.UniqueConstraint(
                fields=["odoo_model", "external_id"],
                condition=~models.Q(external_id=""),
                name="legacy_record_external_id_once",
            ),
            models.CheckConstraint(
                condition=models.Q(odoo_id__isnull=False) | ~models.Q(external_id=""),
                name="legacy_record_identified",
            ),
        ]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="legacy_record_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.odoo_model} {self.external_id or self.odoo_id}"


class FailedTaskManager(models.Manager):
    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(status="FAILURE")


class FailedTask(TaskResult):
    """A background task that failed after every retry, as Celery's result backend keeps
    it (django-celery-results; only failures are kept, for 14 days): what Ops read when
    the "task failing" alert fires."""

    objects = FailedTaskManager()

    class Meta:
        proxy = True
        verbose_name = _("failed background task")
        verbose_name_plural = _("failed background tasks")
