from django.db import migrations


def load(apps, schema_editor):
    from kuangan.enforcement.catalog import load_catalog

    load_catalog(lambda name: apps.get_model("enforcement", name))


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
