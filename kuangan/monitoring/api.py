"""/api/v1/monitoring/: networking files uploaded by a mine's machine account (R4.1).

    curl -H "Authorization: Bearer <token>" -F file=@140000000001_CDSS_20240601080010.txt \\
         http://127.0.0.1:8000/api/v1/monitoring/uploads

The file goes through the one ingestion path (kuangan.monitoring.ingest) at once, so its alarms
exist when the response returns."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from kuangan.core import clock
from kuangan.core.access import require
from kuangan.core.actor import Actor
from kuangan.core.choices import Perm, Via
from kuangan.core.errors import DomainError
from kuangan.engine.formats import Upload
from kuangan.engine.formats.envelope import parse_name

from . import ingest
from .choices import UploadSource

# The only operations a machine account may call: kuangan.api mounts this router with MACHINE_AUTH.
uploads = Router(tags=["monitoring"])


class UploadOut(Schema):
    name: str
    status: str  # accepted | quarantined | incomplete | duplicate
    reason: str
    records: int
    rejected: int
    alarms: int


@uploads.post("/uploads", response={200: UploadOut, 202: UploadOut}, operation_id="monitoring_upload_create")
def upload_create(request: HttpRequest, file: File[UploadedFile]) -> Any:
    """A networking file of the token's own mine: the national format (safety monitoring CDDY, CDSS, FZDY,
    FZSS, TJSJ, YCBJ; personnel positioning RYXX, RYQY, RYJZ, RYSS, JZSS, RYCS, RYCY, RYQJ, RYXZ) or
    kuangan's CSV (`<mine>_YDSJ_<yyyyMMddHHmmss>.csv` power use, `<mine>_DZFT_….csv` seal sightings;
    docs/formats-kuangan.md). 200 with the outcome (accepted, quarantined with its reason, or a duplicate);
    202 when the file is not complete yet (no `||`: send it again when it is). What the regulator derives
    from it beyond alarms (leads of illegal production) is not told to the mine."""
    user = request.user
    require(user, Perm.MONITORING_UPLOAD)
    name = (file.name or "").rsplit("/", 1)[-1]
    if file.size is not None and file.size > settings.UPLOAD_MAX_BYTES:
        raise DomainError(_("文件超过 %(mb)d MB。") % {"mb": settings.UPLOAD_MAX_BYTES // 2**20}, field="file")
    parsed = parse_name(name)
    org = getattr(user, "organization", None)
    own = getattr(getattr(org, "mine", None), "code", None)
    if own is None or (parsed is not None and parsed.mine_code != own):
        raise PermissionDenied(_("只能上传本矿的联网文件。"))
    # token's mine = the name's (checked above) = the header's (checked by ingestion: quarantined otherwise)
    result = ingest.ingest([Upload(name, file.read())], source=UploadSource.API, now=clock.now(),
                           by=Actor.of(user, via=Via.INGEST), mine_code=own)
    out = result.outcome[0]
    body = {**out, "alarms": len(result.alarms)}
    return (202 if out["status"] == "incomplete" else 200), body
