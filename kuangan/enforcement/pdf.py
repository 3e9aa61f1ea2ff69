"""Enforcement documents (执法文书) as PDF: numbering, the labelled fields shown both on the web page and
in the PDF, and the rendering itself (Django templates under templates/enforcement/documents/, then
WeasyPrint).

WeasyPrint is imported only inside the functions that render: it needs Pango's native libraries, and a
machine without them must still import this module, start and show the rest of the platform. Such a
machine (or one without a Chinese font) gets `pdf_available()`'s reason, in Chinese, and
`render_document` raises `PdfUnavailable` with it, so that a page can say what is missing instead of
failing with a server error.

Everything shown comes from users, so the templates keep Django's autoescaping, and the renderer fetches
nothing: the documents reference no file and no address, and the URL fetcher refuses all but data: URLs.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.template import Context, Engine

from kuangan.core.clock import SHANGHAI

DOCUMENT_KINDS: dict[str, str] = {
    "inspection_record": "现场检查记录",
    "measures_decision": "现场处理措施决定书",
    "rectification_order": "责令限期整改指令书",
    "penalty_notice": "行政处罚告知书",
    "penalty_decision": "行政处罚决定书",
    "reinspection_opinion": "整改复查意见书",
}

# {org}: the organization's abbreviation (机关代字), {year}: the year, {n}: the sequence number in that year
DEFAULT_PATTERNS: dict[str, str] = {
    "inspection_record": "{org}现检〔{year}〕{n}号",
    "measures_decision": "{org}现决〔{year}〕{n}号",
    "rectification_order": "{org}责改〔{year}〕{n}号",
    "penalty_notice": "{org}罚告〔{year}〕{n}号",
    "penalty_decision": "{org}罚决〔{year}〕{n}号",
    "reinspection_opinion": "{org}复查〔{year}〕{n}号",
}

# The rights a party is told of when the document's content gives no text of its own.
DEFAULT_RIGHTS: dict[str, str] = {
    "penalty_notice": (
        "依据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，你（单位）有权进行陈述和申辩；"
        "符合该法第六十三条规定情形的，你（单位）有权要求听证。你（单位）可以在收到本告知书之日起五日内"
        "向本机关提出陈述、申辩或者听证要求，逾期未提出的，视为放弃上述权利。"
    ),
    "penalty_decision": (
        "如不服本决定，可以在收到本决定书之日起六十日内依法申请行政复议，或者在六个月内依法向人民法院"
        "提起行政诉讼。行政复议和行政诉讼期间，本决定不停止执行，法律另有规定的除外。"
    ),
}

BLANK = "________"  # a blank to fill in by hand, inside a line of other text (a whole missing field stays "")

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_KNOWN_PLACEHOLDERS = {"org", "year", "n"}


class PdfUnavailable(Exception):
    """PDFs cannot be made on this machine; the message (in Chinese) says what is missing."""


# --- numbers ---------------------------------------------------------------------------------------


def format_number(pattern: str, *, year: int, sequence: int, org: str = "") -> str:
    """The document number (文号) from its pattern: "中应急煤现决〔{year}〕{n}号" with year 2024 and sequence
    12 gives "中应急煤现决〔2024〕12号". {org} stands for the organization's abbreviation.

    Raises ValueError (with a Chinese message) for a pattern lacking {year} or {n}, one with any other
    placeholder, one with {org} when no abbreviation is given, or a year or sequence out of range."""
    names = _PLACEHOLDER.findall(pattern)
    unknown = sorted({name for name in names if name not in _KNOWN_PLACEHOLDERS})
    if unknown:
        raise ValueError("文号格式含有无法识别的占位符：" + "、".join("{" + name + "}" for name in unknown))
    missing = [p for p in ("{year}", "{n}") if p not in pattern]
    if missing:
        raise ValueError("文号格式须同时包含年份 {year} 和序号 {n}，缺少：" + "、".join(missing))
    if "{org}" in pattern and not org.strip():
        raise ValueError("文号格式含有机关代字 {org}，但未给出机关代字")
    if not 1900 <= year <= 9999:
        raise ValueError(f"文号年份无效：{year}")
    if sequence < 1:
        raise ValueError(f"文号序号须为正整数：{sequence}")
    # plain replacement, never str.format: a pattern is typed in by users
    return pattern.replace("{org}", org.strip()).replace("{year}", str(year)).replace("{n}", str(sequence))


# --- the labelled fields ---------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A value as display text: a missing one as "" (never "None"), a list as its items joined with 、."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(t for t in (_text(v) for v in value) if t)
    return str(value).strip()


def _inline(value: Any) -> str:
    """A value inside a line of other text: a missing one as a blank to fill in."""
    return _text(value) or BLANK


def _date(value: Any) -> str:
    """A date given as YYYY-MM-DD in the style of official documents (2024年3月5日); other text as it is."""
    text = _text(value)
    try:
        d = date.fromisoformat(text)
    except ValueError:
        return text
    return chinese_date(d)


def chinese_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _rows(label: str, values: Any, show: Callable[[Any], str]) -> list[tuple[str, str]]:
    """One row per item of a list, numbered (label（1）, label（2）, …); one blank row when there is none."""
    if values is None:
        items: list[Any] = []
    elif isinstance(values, list | tuple):
        items = list(values)
    else:
        items = [values]
    texts = [t for t in (show(item) for item in items) if t]
    if not texts:
        return [(label, "")]
    return [(f"{label}（{i}）", text) for i, text in enumerate(texts, start=1)]


def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, dict) else None


def _rectification_item(item: Any) -> str:
    if not isinstance(item, dict):
        return _text(item)
    if not any(_text(item.get(k)) for k in ("text", "basis", "deadline")):
        return ""
    return (f"{_inline(item.get('text'))}（依据：{_inline(item.get('basis'))}；"
            f"整改期限：{_inline(_date(item.get('deadline')))}）")


def _party(item: Any) -> str:
    if not isinstance(item, dict):
        return _text(item)
    if not any(_text(item.get(k)) for k in ("name", "kind", "penalty")):
        return ""
    return f"{_inline(item.get('name'))}（{_inline(item.get('kind'))}）：{_inline(item.get('penalty'))}"


def _penalty_rows(c: dict[str, Any], *, decided: bool) -> list[tuple[str, str]]:
    return [
        ("违法事实", _text(c.get("facts"))),
        ("违反的规定", _text(c.get("basis_violation"))),
        ("处罚依据", _text(c.get("basis_penalty"))),
        ("行政处罚决定" if decided else "拟作出的行政处罚", _text(c.get("proposed"))),
        *_rows("当事人", c.get("parties"), _party),
    ]


def content_text(kind: str, content: dict[str, Any]) -> list[tuple[str, str]]:
    """The document's labelled fields in display order, as (Chinese label, text): the PDF's table and the
    web page show the same. A missing field gives "" (a blank line to fill in), never "None"; list
    fields give one numbered row per item."""
    _check_kind(kind)
    c = content or {}
    if kind == "inspection_record":
        return [
            ("检查开始时间", _text(c.get("started_at"))),
            ("检查结束时间", _text(c.get("ended_at"))),
            ("检查地点", _text(c.get("place"))),
            ("检查人员", _text(c.get("team"))),
            ("检查组负责人", _text(c.get("leader"))),
            ("被检查单位现场负责人", _text(c.get("mine_representative"))),
            *_rows("检查发现的问题", c.get("findings"), _text),
            ("检查情况小结", _text(c.get("summary"))),
        ]
    if kind == "measures_decision":
        return [
            ("检查地点", _text(c.get("place"))),
            *_rows("现场处理措施", c.get("measures"), _text),
            ("处理依据", _text(c.get("basis"))),
        ]
    if kind == "rectification_order":
        return [
            *_rows("整改事项", c.get("items"), _rectification_item),
            ("整改完成期限", _date(c.get("deadline"))),
            ("复查日期", _date(c.get("reinspect_on"))),
        ]
    if kind == "penalty_notice":
        return [
            *_penalty_rows(c, decided=False),
            ("当事人的权利", _text(c.get("rights")) or DEFAULT_RIGHTS[kind]),
        ]
    if kind == "penalty_decision":
        return [
            *_penalty_rows(c, decided=True),
            ("批准人", _text(c.get("approved_by"))),
            ("批准时间", _date(c.get("approved_at"))),
            ("缴款期限", _date(c.get("payment_due"))),
            ("缴款账户", _text(c.get("payment_account"))),
            ("当事人的权利", _text(c.get("rights")) or DEFAULT_RIGHTS[kind]),
        ]
    # reinspection_opinion
    return [
        ("原指令书文号", _text(c.get("order_number"))),
        ("是否整改完毕", _text(c.get("rectified"))),
        ("复查意见", _text(c.get("opinion"))),
    ]


def _check_kind(kind: str) -> None:
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"未知的文书种类：{kind}")


# --- can PDFs be made here? ------------------------------------------------------------------------

_CJK_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")


def _missing_weasyprint() -> str | None:
    try:
        import weasyprint  # noqa: F401  (only whether it loads: Pango is opened on import)
    except ImportError:
        return "无法生成 PDF：未安装 WeasyPrint（Python 包 weasyprint）。"
    except OSError as exc:
        return ("无法生成 PDF：缺少 WeasyPrint 所需的系统库 Pango"
                f"（Debian 软件包 libpango-1.0-0、libpangoft2-1.0-0）：{exc}")
    return None


def _missing_font() -> str | None:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return "无法生成 PDF：缺少字体配置工具 fontconfig（fc-list），无法确认中文字体。"
    try:
        listed = subprocess.run([fc_list, ":lang=zh", "family"],  # noqa: S603  (fixed arguments, no shell)
                                capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return f"无法生成 PDF：无法查询已安装的字体：{exc}"
    if not any(family in listed for family in _CJK_FAMILIES):
        return "无法生成 PDF：缺少中文字体 Noto CJK（Debian 软件包 fonts-noto-cjk）。"
    return None


@functools.cache
def pdf_available() -> str | None:
    """None when PDFs can be made on this machine, otherwise the reason in Chinese (what is missing:
    WeasyPrint, Pango or the Noto CJK font). Checked once per process."""
    return _missing_weasyprint() or _missing_font()


# --- rendering -------------------------------------------------------------------------------------


@functools.cache
def _engine() -> Engine:
    # A dedicated engine: the documents' templates are not the site's to override, and the PDFs can be
    # made whether or not the app's templates are on the site's template path.
    return Engine(dirs=[str(TEMPLATE_DIR)], autoescape=True)


def _template_name(kind: str) -> str:
    return f"enforcement/documents/{kind}.html"


def document_html(kind: str, *, number: str, organization: str, mine: str, content: dict[str, Any],
                  signer: str, signed_at: datetime, version: int) -> str:
    """The HTML that `render_document` turns into a PDF (no PDF library needed)."""
    _check_kind(kind)
    if version < 1:
        raise ValueError(f"文书版本号须为正整数：{version}")
    if signed_at.tzinfo is None:  # a naive time is Beijing time, as everywhere in the platform
        signed_at = signed_at.replace(tzinfo=SHANGHAI)
    title = DOCUMENT_KINDS[kind]
    context = {
        "kind": kind,
        "title": title,
        "document_title": f"{title} {number}".strip(),
        "number": number,
        "organization": organization,
        "mine": mine,
        "rows": content_text(kind, content),
        "signer": signer,
        "signed_on": chinese_date(signed_at.astimezone(SHANGHAI).date()),
        "version": int(version),
    }
    return _engine().get_template(_template_name(kind)).render(Context(context, autoescape=True))


def _url_fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    # WeasyPrint refuses any other scheme before opening anything (and logs a warning); data: URLs are
    # decoded in memory
    return URLFetcher(allowed_protocols=("data",), allow_redirects=False, timeout=1)


def render_document(kind: str, *, number: str, organization: str, mine: str, content: dict[str, Any],
                    signer: str, signed_at: datetime, version: int) -> bytes:
    """The document as PDF bytes: A4, the organization and the kind's title centred, the number, the
    inspected unit, the labelled fields (`content_text`) as a table, the signature block, and a footer
    with the version and the page numbers. The PDF's title is the kind's title and the number.

    Raises PdfUnavailable (message in Chinese) when this machine cannot make PDFs, ValueError for an
    unknown kind."""
    _check_kind(kind)
    reason = pdf_available()
    if reason is not None:
        raise PdfUnavailable(reason)
    html = document_html(kind, number=number, organization=organization, mine=mine, content=content,
                         signer=signer, signed_at=signed_at, version=version)
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # pragma: no cover - pdf_available() said yes in this process
        raise PdfUnavailable(f"无法生成 PDF：{exc}") from exc
    pdf = weasyprint.HTML(string=html, base_url=None, url_fetcher=_url_fetcher()).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf

