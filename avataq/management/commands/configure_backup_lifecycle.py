from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import CommandError, CommandParser

from avataq.backups import EXIT_UNAVAILABLE, BackupCommand, backup_bucket, s3_client, s3_failure

RULE_ID = "avataq-abort-incomplete-backup-uploads"


class Command(BackupCommand):
    help = (
        "Set the bucket lifecycle rule that aborts incomplete multipart uploads under "
        "backups/ after a few days (an interrupted backup's parts would otherwise be kept "
        "and billed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=3)

    def handle(self, *args, days: int, **options) -> None:
        bucket = backup_bucket()
        if not bucket:
            raise CommandError(
                "no bucket: backups are local files in the embedded default",
                returncode=EXIT_UNAVAILABLE,
            )
        client = s3_client()
        try:
            current = client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
        except ClientError:
            current = []  # none yet (or the endpoint has none to give)
        except BotoCoreError as exc:
            raise s3_failure(exc, "read the bucket's lifecycle rules") from None
        rules = [r for r in current if r.get("ID") != RULE_ID] + [
            {
                "ID": RULE_ID,
                "Status": "Enabled",
                "Filter": {"Prefix": "backups/"},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days},
            }
        ]
        try:
            client.put_bucket_lifecycle_configuration(
                Bucket=bucket, LifecycleConfiguration={"Rules": rules}
            )
        except ClientError as exc:
            raise CommandError(
                f"the endpoint refused the lifecycle rule ({exc.response['Error'].get('Code')}); "
                "set it by hand (see README, Operations)",
                returncode=EXIT_UNAVAILABLE,
            ) from None
        except BotoCoreError as exc:
            raise s3_failure(exc, "set the bucket's lifecycle rule") from None
        self.stdout.write(f"{bucket}: incomplete uploads under backups/ abort after {days} days")
