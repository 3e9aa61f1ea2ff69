from django.db import migrations


def seed(apps, schema_editor):
    from kuangan.monitoring.staffing_data import rows

    StaffingLimit = apps.get_model("monitoring", "StaffingLimit")
    if not StaffingLimit.objects.exists():
        StaffingLimit.objects.bulk_create(StaffingLimit(**r) for r in rows())


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0004_personnel_and_leads")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
