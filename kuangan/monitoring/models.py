"""Monitoring (R4): the points the mines define, the files they upload, the alarms kuangan raises
from them, their handling, and the engine's saved state. Rows reach their mine through `scope_path`."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kuangan.core.access import ScopedQuerySet
from kuangan.core.clock import SHANGHAI
from kuangan.core.models import User
from kuangan.registry.models import Mine

from .choices import (
    AlarmAction,
    AlarmKind,
    AreaUse,
    LeadAction,
    LeadKind,
    LeadStatus,
    LimitScope,
    Severity,
    ShiftKind,
    UploadSource,
    UploadStatus,
    WindowKind,
    WindowStatus,
)


class MonitoringPoint(models.Model):
    """A point as the mine's last CDDY file defines it (kept current by ingestion)."""

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="monitoring_points", verbose_name=_("矿山"))
    code = models.CharField(_("测点编码"), max_length=40)
    sensor_type = models.CharField(_("传感器类型"), max_length=4)
    value_type = models.CharField(_("数据类型"), max_length=2)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    location = models.CharField(_("安装位置"), max_length=200, blank=True)
    outstation_code = models.CharField(_("分站编码"), max_length=40, blank=True)
    range_low = models.FloatField(_("量程下限"), null=True, blank=True)
    range_high = models.FloatField(_("量程上限"), null=True, blank=True)
    upper_alarm = models.FloatField(_("上限报警值"), null=True, blank=True)
    upper_alarm_clear = models.FloatField(_("上限解报值"), null=True, blank=True)
    lower_alarm = models.FloatField(_("下限报警值"), null=True, blank=True)
    lower_alarm_clear = models.FloatField(_("下限解报值"), null=True, blank=True)
    upper_power_off = models.FloatField(_("上限断电值"), null=True, blank=True)
    upper_power_restore = models.FloatField(_("上限复电值"), null=True, blank=True)
    relations = models.CharField(_("关联关系"), max_length=500, blank=True)
    defined_at = models.DateTimeField(_("定义时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))

    objects = ScopedQuerySet.as_manager()
    scope_path = "mine"

    class Meta:
        ordering = ["mine", "code"]
        verbose_name = _("监测点")
        verbose_name_plural = _("监测点")
        # a point belongs to its mine: another mine's file can never name (or redefine) it
        constraints = [models.UniqueConstraint(fields=["mine", "code"], name="monitoring_point_per_mine")]

    def __str__(self) -> str:
        return f"{self.location or self.code}"


class Upload(models.Model):
    """One networking file received (accepted or quarantined). An accepted file's content (sha256) is
    stored once: the same bytes again, under any name, are a duplicate."""

    # no index of its own: the (mine, file type, header time) index serves a mine's rows, and every
    # index costs each of the 90,000 rows a replayed 20-mine day inserts
    mine = models.ForeignKey(Mine, models.CASCADE, null=True, blank=True, related_name="uploads",
                             verbose_name=_("矿山"), db_index=False)
    mine_code = models.CharField(_("矿山编码"), max_length=40, blank=True)
    name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    file_type = models.CharField(_("文件类型"), max_length=10, blank=True)
    family = models.CharField(_("格式"), max_length=40, blank=True)
    header_time = models.DateTimeField(_("上传时间（文件头）"), null=True, blank=True)
    received_at = models.DateTimeField(_("处理时间"))
    # when the platform first had the file: the upload request, the first drop-folder scan that saw it,
    # or a replay's clock (never the file's own times, which the sender sets)
    arrived_at = models.DateTimeField(_("到达时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=20, choices=UploadSource.choices)
    status = models.CharField(_("状态"), max_length=20, choices=UploadStatus.choices)
    reason = models.CharField(_("隔离原因"), max_length=300, blank=True)
    encoding = models.CharField(_("编码"), max_length=20, blank=True)
    records = models.PositiveIntegerField(_("记录数"), default=0)
    rejected = models.PositiveIntegerField(_("隔离记录数"), default=0)
    stored_as = models.CharField(_("隔离文件"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "mine"

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("联网文件")
        verbose_name_plural = _("联网文件")
        constraints = [models.UniqueConstraint(fields=["sha256"], condition=Q(status="accepted"),
                                               name="monitoring_upload_once")]
        indexes = [models.Index(fields=["mine", "file_type", "header_time"], name="monitoring_upload_mine_type")]

    def __str__(self) -> str:
        return self.name


class RejectedRecord(models.Model):
    """A record of an accepted file that could not be read: kept with its reason, nothing lost."""

    upload = models.ForeignKey(Upload, models.CASCADE, related_name="rejected_records", verbose_name=_("文件"))
    record_no = models.PositiveIntegerField(_("记录序号"))
    reason = models.CharField(_("原因"), max_length=300)
    raw = models.TextField(_("原始内容"))

    objects = ScopedQuerySet.as_manager()
    scope_path = "upload__mine"

    class Meta:
        ordering = ["upload", "record_no"]
        verbose_name = _("隔离记录")
        verbose_name_plural = _("隔离记录")

    def __str__(self) -> str:
        return f"{self.upload.name} #{self.record_no}"


class PlannedWindow(models.Model):
    """Calibration or maintenance declared by a mine: alarms inside it are planned ones."""

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="planned_windows", verbose_name=_("矿山"))
    kind = models.CharField(_("类别"), max_length=20, choices=WindowKind.choices)
    start = models.DateTimeField(_("开始时间"))
    end = models.DateTimeField(_("结束时间"))
    points = models.TextField(_("测点编码"), blank=True, help_text=_("每行一个；留空表示全部测点。"))
    reason = models.CharField(_("事由"), max_length=300)
    declared_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("申报人"))
    declared_at = models.DateTimeField(_("申报时间"))
    # a long window (or too many hours a day) takes effect only once the county approves it
    status = models.CharField(_("状态"), max_length=20, choices=WindowStatus.choices, default=WindowStatus.APPROVED)
    decided_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "mine"

    class Meta:
        ordering = ["-start"]
        verbose_name = _("计划作业")
        verbose_name_plural = _("计划作业")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"

    def point_codes(self) -> list[str]:
        return [line.strip() for line in self.points.splitlines() if line.strip()]


class Alarm(models.Model):
    """One alarm episode. Active (no end) or cleared, and acknowledged or not: two independent states (R4.8)."""

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="alarms", verbose_name=_("矿山"))
    point = models.ForeignKey(MonitoringPoint, models.SET_NULL, null=True, blank=True, related_name="alarms",
                              verbose_name=_("测点"))
    # a point, or a personnel alarm's subject (a card, an area); "" for a mine-level alarm
    point_code = models.CharField(_("测点或对象编码"), max_length=40, blank=True)
    kind = models.CharField(_("报警类型"), max_length=30, choices=AlarmKind.choices)
    severity = models.PositiveSmallIntegerField(_("严重程度"), choices=Severity.choices)
    start = models.DateTimeField(_("开始时间"))
    end = models.DateTimeField(_("结束时间"), null=True, blank=True)
    peak = models.FloatField(_("极值"), null=True, blank=True)
    evidence = models.JSONField(_("证据"), default=dict)
    location = models.CharField(_("位置"), max_length=200, blank=True)
    planned_window = models.ForeignKey(PlannedWindow, models.SET_NULL, null=True, blank=True,
                                       related_name="alarms", verbose_name=_("计划作业"))
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                                        verbose_name=_("确认人"))
    assignee = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="assigned_alarms",
                                 verbose_name=_("处置人"))
    hazard = models.ForeignKey("hazards.Hazard", models.SET_NULL, null=True, blank=True, related_name="alarms",
                               verbose_name=_("隐患"))
    raised_at = models.DateTimeField(_("发现时间"))
    # when the data that raised it reached the platform; late: it came later than its type's lateness
    received_at = models.DateTimeField(_("数据接收时间"), null=True, blank=True)
    late = models.BooleanField(_("迟到数据"), default=False)
    # later data disproved it (a late report, a gap filled): kept with its history, never deleted
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "mine"

    class Meta:
        ordering = ["-start", "severity"]
        verbose_name = _("报警")
        verbose_name_plural = _("报警")
        constraints = [
            models.UniqueConstraint(fields=["mine", "point_code", "kind", "start"], name="monitoring_alarm_episode"),
            # one open alarm per (point or mine, kind); a withdrawn one does not count
            models.UniqueConstraint(fields=["mine", "point_code", "kind"],
                                    condition=Q(end__isnull=True, withdrawn_at__isnull=True),
                                    name="monitoring_alarm_one_open"),
        ]
        indexes = [models.Index(fields=["mine", "start"], name="monitoring_alarm_mine_start")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.point_code or self.mine.name}"

    def get_absolute_url(self) -> str:
        return reverse("monitoring:alarm_detail", args=[self.pk])

    @property
    def active(self) -> bool:
        return self.end is None

    @property
    def planned(self) -> bool:
        return self.planned_window_id is not None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def delay(self) -> timedelta | None:
        """How long after the event its data reached the platform."""
        return None if self.received_at is None else self.received_at - self.start


class AlarmTransition(models.Model):
    alarm = models.ForeignKey(Alarm, models.CASCADE, related_name="transitions", verbose_name=_("报警"))
    action = models.CharField(_("动作"), max_length=20, choices=AlarmAction.choices)
    at = models.DateTimeField(_("时间"))
    by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("操作人"))
    note = models.TextField(_("说明"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "alarm__mine"

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("报警处置记录")
        verbose_name_plural = _("报警处置记录")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


class AlarmDisposal(models.Model):
    """What was done about an alarm; for a gas over-limit the 两停一撤六查 checklist (R4.2)."""

    alarm = models.OneToOneField(Alarm, models.CASCADE, related_name="disposal", verbose_name=_("报警"))
    cause = models.TextField(_("原因"))
    measures = models.TextField(_("处置措施"))
    checklist = models.JSONField(_("两停一撤六查"), default=dict, blank=True)
    disposed_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("处置人"))
    disposed_at = models.DateTimeField(_("处置时间"))

    objects = ScopedQuerySet.as_manager()
    scope_path = "alarm__mine"

    class Meta:
        verbose_name = _("报警处置")
        verbose_name_plural = _("报警处置")

    def __str__(self) -> str:
        return str(self.alarm)


class EngineSnapshot(models.Model):
    """The engine's state after the last batch, saved in the same transaction as that batch's alarms."""

    key = models.CharField(max_length=20, unique=True, default="live")
    state = models.BinaryField()
    newest_header = models.DateTimeField(null=True, blank=True)
    batches = models.PositiveBigIntegerField(default=0)
    saved_at = models.DateTimeField()

    class Meta:
        verbose_name = _("引擎状态")
        verbose_name_plural = _("引擎状态")

    def __str__(self) -> str:
        return self.key


class StoredBatch(models.Model):
    """The Parquet files of one committed batch (exactly once, docs/architecture.md): the files are
    written under a staging folder, this row is committed with the batch's other rows, and only then
    are the files moved into place. A staging folder without its row is an orphan of a batch that
    never committed and is removed; one with its row but not yet placed is finished."""

    batch_id = models.CharField(max_length=64, unique=True)
    parts = models.JSONField(default=list)  # paths relative to the store's root, as placed
    rows = models.PositiveBigIntegerField(default=0)
    placed = models.BooleanField(default=False)
    committed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("数据批次")
        verbose_name_plural = _("数据批次")

    def __str__(self) -> str:
        return self.batch_id


class EngineCheckpoint(models.Model):
    """The engine's state before a batch that took some mines into a new hour of data: late data of a
    mine is judged again from the newest checkpoint that precedes it (docs/architecture.md)."""

    state = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("引擎检查点")
        verbose_name_plural = _("引擎检查点")

    def __str__(self) -> str:
        return f"{self.pk}"


class CheckpointMine(models.Model):
    """A mine whose state a checkpoint holds, and how far it had judged each of the mine's data streams
    (engine.pipeline.STREAMS); `seen_until` is the furthest of them (the back-fill window drops by it)."""

    checkpoint = models.ForeignKey(EngineCheckpoint, models.CASCADE, related_name="mines")
    mine_code = models.CharField(max_length=40)
    seen_until = models.DateTimeField()
    streams = models.JSONField(default=dict)  # stream → the newest data time judged (ISO, Beijing time)

    class Meta:
        indexes = [models.Index(fields=["mine_code", "seen_until"], name="monitoring_ckpt_mine_seen")]

    def __str__(self) -> str:
        return f"{self.mine_code} {self.seen_until}"


# --- Personnel positioning (R4.5, R4.6) and leads of illegal production (R4.7) -------------------------


class PositioningArea(models.Model):
    """A positioning area as the mine's RYQY files define it (kept current by ingestion), and what it is
    underground. A mapping counts as declared only once a regulator confirmed it: the mine's own edits are
    evidence (a mine hiding a face would map its area as a roadway), each kept in `AreaMappingChange`."""

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="positioning_areas", verbose_name=_("矿山"))
    code = models.CharField(_("区域编码"), max_length=40)
    area_type = models.CharField(_("区域类型"), max_length=20, blank=True)  # as the RYQY file says
    headcount = models.PositiveIntegerField(_("核定人数"), null=True, blank=True)
    name = models.CharField(_("区域名称"), max_length=100, blank=True)
    # False: people were seen in it but no RYQY file defined it (accepted as undeclared)
    seen_in_files = models.BooleanField(_("联网文件已定义"), default=True)
    defined_at = models.DateTimeField(_("定义时间（文件头）"), null=True, blank=True)
    declared_as = models.CharField(_("实际用途"), max_length=20, choices=AreaUse.choices, blank=True)
    face = models.ForeignKey("registry.WorkingFace", models.SET_NULL, null=True, blank=True,
                             related_name="positioning_areas", verbose_name=_("对应工作面"))
    mapped_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name=_("映射人"))
    mapped_at = models.DateTimeField(_("映射时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("确认人"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))

    objects = ScopedQuerySet.as_manager()
    scope_path = "mine"

    class Meta:
        ordering = ["mine", "code"]
        verbose_name = _("定位区域")
        verbose_name_plural = _("定位区域")
        constraints = [models.UniqueConstraint(fields=["mine", "code"], name="monitoring_area_per_mine")]

    def __str__(self) -> str:
        return self.name or self.code

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class AreaMappingChange(models.Model):
    """One change of an area's mapping, by the mine or a regulator (a lead's page shows those since its
    pattern began)."""

    area = models.ForeignKey(PositioningArea, models.CASCADE, related_name="mapping_changes",
                             verbose_name=_("定位区域"))
    at = models.DateTimeField(_("时间"))
    by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("操作人"))
    declared_as = models.CharField(_("实际用途"), max_length=20, choices=AreaUse.choices, blank=True)
    face_name = models.CharField(_("对应工作面"), max_length=50, blank=True)
    confirmed = models.BooleanField(_("监管确认"), default=False)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "area__mine"

    class Meta:
        ordering = ["area", "at", "pk"]
        verbose_name = _("区域映射变更")
        verbose_name_plural = _("区域映射变更")

    def __str__(self) -> str:
        return f"{self.area} {self.at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


class Fence(models.Model):
    """An electronic fence drawn by an inspector: areas or base stations nobody may enter while it holds."""

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="fences", verbose_name=_("矿山"))
    name = models.CharField(_("名称"), max_length=100)
    area_codes = models.JSONField(_("区域编码"), default=list, blank=True)
    station_codes = models.JSONField(_("基站编码"), default=list, blank=True)
    start = models.DateTimeField(_("生效时间"))
    end = models.DateTimeField(_("结束时间"), null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=300)
    created_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("划定人"))
    created_at = models.DateTimeField(_("划定时间"))

    objects = ScopedQuerySet.as_manager()
    scope_path = "mine"

    class Meta:
        ordering = ["mine", "-start"]
        verbose_name = _("电子围栏")
        verbose_name_plural = _("电子围栏")

    def __str__(self) -> str:
        return self.name


class PersonnelProfile(models.Model):
    """A mine's shifts: their start times (default 三八制 00:00, 08:00, 16:00) and which one, if any, is the
    maintenance shift (检修班, whose face limits differ)."""

    mine = models.OneToOneField(Mine, models.CASCADE, related_name="personnel_profile", verbose_name=_("矿山"))
    shift_starts = models.JSONField(_("班次开始时间"), default=list)  # ["00:00", "08:00", "16:00"]
    maintenance_shift = models.CharField(_("检修班开始时间"), max_length=5, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))

    objects = ScopedQuerySet.as_manager()
    scope_path = "mine"

    class Meta:
        verbose_name = _("班次设置")
        verbose_name_plural = _("班次设置")

    def __str__(self) -> str:
        return f"{self.mine}"


class StaffingLimit(models.Model):
    """A row of the single-shift headcount table (RULES.md §4: the 2019 试行 table, superseded by 矿安〔2023〕
    129号 whose table was not found). Seeded, edited in the admin with its source shown."""

    scope = models.CharField(_("适用对象"), max_length=10, choices=LimitScope.choices)
    capacity_above = models.DecimalField(_("产能大于（万吨/年）"), max_digits=8, decimal_places=2, null=True,
                                         blank=True)
    capacity_upto = models.DecimalField(_("产能不大于（万吨/年）"), max_digits=8, decimal_places=2, null=True,
                                        blank=True)
    face_kind = models.CharField(_("工作面类型"), max_length=20, blank=True)
    mining_methods = models.JSONField(_("采掘工艺"), default=list, blank=True)
    shift = models.CharField(_("班次"), max_length=20, choices=ShiftKind.choices, blank=True)
    disaster_limit = models.PositiveIntegerField(_("灾害严重矿井限员"))
    other_limit = models.PositiveIntegerField(_("其他矿井限员"))
    source = models.CharField(_("依据"), max_length=300)

    class Meta:
        ordering = ["scope", "capacity_above", "face_kind", "shift"]
        verbose_name = _("单班限员标准")
        verbose_name_plural = _("单班限员标准")

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.disaster_limit}/{self.other_limit}"


class PersonnelNow(models.Model):
    """The people underground by the mine's newest RYSS snapshot (by data time: a late snapshot does not
    replace a newer one)."""

    mine = models.OneToOneField(Mine, models.CASCADE, related_name="personnel_now", verbose_name=_("矿山"))
    at = models.DateTimeField(_("快照时间"))
    count = models.PositiveIntegerField(_("井下人数"))
    by_area = models.JSONField(_("各区域人数"), default=dict)
    leaders = models.JSONField(_("带班领导"), default=list)  # roster cards underground
    updated_at = models.DateTimeField(_("更新时间"))

    objects = ScopedQuerySet.as_manager()
    scope_path = "mine"

    class Meta:
        verbose_name = _("井下实时人数")
        verbose_name_plural = _("井下实时人数")

    def __str__(self) -> str:
        return f"{self.mine} {self.count}"


class Lead(models.Model):
    """A sign of illegal production (违法生产线索): an episode of a lead kind. Seen only by regulators holding
    LEAD_VIEW; never notified to the mine or its enterprise. One open lead per (mine, subject, kind): a
    new episode of an open lead extends it."""

    mine = models.ForeignKey(Mine, models.CASCADE, related_name="leads", verbose_name=_("矿山"))
    # a lead kind, or an alarm's kind when a regulator opened the lead from an alarm
    kind = models.CharField(_("线索类型"), max_length=40, choices=LeadKind.choices + AlarmKind.choices)
    subject = models.CharField(_("对象"), max_length=40, blank=True)  # area, meter, seal code; "" for the mine
    status = models.CharField(_("状态"), max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    start = models.DateTimeField(_("开始时间"))
    end = models.DateTimeField(_("信号停止时间"), null=True, blank=True)
    peak = models.FloatField(_("峰值"), null=True, blank=True)
    evidence = models.JSONField(_("证据"), default=dict)
    # the start of the latest episode that fed it: later batches update that episode here, even once the
    # lead is decided (a dismissed lead is not raised again by the same signal)
    episode_start = models.DateTimeField(_("最近信号开始时间"))
    raised_at = models.DateTimeField(_("发现时间"))
    reviewer = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("研判人"))
    dismissed_reason = models.TextField(_("排除理由"), blank=True)
    hazard = models.ForeignKey("hazards.Hazard", models.SET_NULL, null=True, blank=True, related_name="leads",
                               verbose_name=_("隐患"))
    alarm = models.ForeignKey(Alarm, models.SET_NULL, null=True, blank=True, related_name="leads",
                              verbose_name=_("来源报警"))

    objects = ScopedQuerySet.as_manager()
    scope_path = "mine"
    regulator_only = True
    view_perm = "lead_view"

    class Meta:
        ordering = ["-start"]
        verbose_name = _("违法生产线索")
        verbose_name_plural = _("违法生产线索")
        constraints = [
            models.UniqueConstraint(fields=["mine", "subject", "kind", "start"], condition=~Q(status="withdrawn"),
                                    name="monitoring_lead_episode"),
            models.UniqueConstraint(fields=["mine", "subject", "kind"],
                                    condition=Q(status__in=["new", "under_review"]), name="monitoring_lead_one_open"),
        ]
        indexes = [models.Index(fields=["mine", "start"], name="monitoring_lead_mine_start")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject or self.mine.name}"

    def get_absolute_url(self) -> str:
        return reverse("monitoring:lead_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in (LeadStatus.NEW, LeadStatus.UNDER_REVIEW)


class LeadTransition(models.Model):
    lead = models.ForeignKey(Lead, models.CASCADE, related_name="transitions", verbose_name=_("线索"))
    action = models.CharField(_("动作"), max_length=20, choices=LeadAction.choices)
    at = models.DateTimeField(_("时间"))
    by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("操作人"))
    note = models.TextField(_("说明"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "lead__mine"
    regulator_only = True
    view_perm = "lead_view"

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("线索处置记录")
        verbose_name_plural = _("线索处置记录")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"
