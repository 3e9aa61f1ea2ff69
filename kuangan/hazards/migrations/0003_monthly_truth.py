"""Issue 18: monthly reports tell the truth (迟报 days, 零报告不实) and one closure proposal per
occurrence that made it due."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('hazards', '0002_catalog'),
    ]

    operations = [
        migrations.AddField(
            model_name='closureproposal',
            name='trigger',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='hazards.hazard', verbose_name='触发隐患'),
        ),
        migrations.AddField(
            model_name='monthlyreport',
            name='contradicted_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='发现不实时间'),
        ),
        migrations.AddField(
            model_name='monthlyreport',
            name='contradicted_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='hazards.hazard', verbose_name='零报告不实（后报重大隐患）'),
        ),
        migrations.AddField(
            model_name='monthlyreport',
            name='days_late',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='迟报天数'),
        ),
        migrations.AddConstraint(
            model_name='closureproposal',
            constraint=models.UniqueConstraint(fields=('trigger',), name='hazards_proposal_one_per_trigger'),
        ),
    ]
