from django.db import models
from django.utils.translation import gettext_lazy as _


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
