"""The coal and metal/non-metal major-hazard determination standards (R2.1)."""

from django.db import migrations


def load(apps, schema_editor):
    from kuangan.hazards.catalog import load_catalog

    load_catalog(apps.get_model("hazards", "HazardStandard"), apps.get_model("hazards", "HazardStandardItem"))


class Migration(migrations.Migration):
    dependencies = [("hazards", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
