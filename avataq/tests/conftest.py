import pytest


@pytest.fixture
def backup_s3(s3, settings):
    """Backups go to the test bucket on the S3 test server; ops get emails."""
    settings.BACKUP_BUCKET = s3.name
    settings.AWS_S3_ENDPOINT_URL = s3.endpoint
    settings.AWS_S3_REGION_NAME = "us-east-1"
    from avataq.dev.s3server import ACCESS_KEY, SECRET_KEY

    settings.AWS_ACCESS_KEY_ID, settings.AWS_SECRET_ACCESS_KEY = ACCESS_KEY, SECRET_KEY
    settings.ADMINS = [("Ops", "ops@example.org")]
    return s3
