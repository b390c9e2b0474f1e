from django.db import migrations


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="Counsellors")


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Counsellors").delete()


class Migration(migrations.Migration):
    dependencies = [("avataq", "0001_groups")]

    operations = [migrations.RunPython(create_group, delete_group)]
