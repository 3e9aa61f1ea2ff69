"""Issue 18: the escalation ladder counts from a hazard's effective due day (`due_on`), a close-out
request made in time pauses it (`paused`), the regulator's answer is due by `verify_due_on`, and an
ordinary hazard is told once that it is overdue (`overdue_told_at`)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models

SHANGHAI = ZoneInfo("Asia/Shanghai")


def fill_due_on(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Existing hazards: the plan's deadline; a major one still without a plan counts from its report."""
    Hazard = apps.get_model("hazards", "Hazard")
    Hazard.objects.filter(deadline__isnull=False).update(due_on=models.F("deadline"))
    first = settings.HAZARD_ESCALATION_DAYS[0]
    for h in Hazard.objects.filter(deadline__isnull=True, level="major", status="reported").iterator():
        h.due_on = h.reported_at.astimezone(SHANGHAI).date() + timedelta(days=settings.HAZARD_PLAN_DAYS)
        h.next_due_at = datetime.combine(h.due_on + timedelta(days=first), time.min, tzinfo=SHANGHAI)
        h.save(update_fields=["due_on", "next_due_at"])


class Migration(migrations.Migration):

    dependencies = [
        ('hazards', '0003_monthly_truth'),
    ]

    operations = [
        migrations.AddField(
            model_name='hazard',
            name='due_on',
            field=models.DateField(blank=True, null=True, verbose_name='有效整改时限'),
        ),
        migrations.AddField(
            model_name='hazard',
            name='paused',
            field=models.BooleanField(default=False, verbose_name='等待验收，暂停计时'),
        ),
        migrations.AddField(
            model_name='hazard',
            name='verify_due_on',
            field=models.DateField(blank=True, null=True, verbose_name='验收期限'),
        ),
        migrations.AddField(
            model_name='hazard',
            name='overdue_told_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='超期告知时间'),
        ),
        migrations.RunPython(fill_due_on, migrations.RunPython.noop),
    ]
