from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("documents", "0002_document_types")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            "CREATE INDEX docindex_filename_trgm ON documents_documentindex "
            'USING gin ((UPPER("filename")) gin_trgm_ops)',
            "DROP INDEX docindex_filename_trgm",
        ),
    ]
