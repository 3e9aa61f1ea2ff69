"""The enforcement documents' PDFs: each kind renders with Chinese text that reads back out of the PDF,
user text is shown as text, numbers follow their patterns, long documents run onto numbered pages."""

from __future__ import annotations

import builtins
import io
import re
import subprocess
from datetime import UTC, datetime

import pypdf
import pytest

from kuangan.enforcement import pdf

pytestmark = pytest.mark.nodb

NUMBER = "晋应急煤现检〔2024〕12号"
ORGANIZATION = "山西省应急管理厅"
MINE = "山西汾西某某煤业有限责任公司"
SIGNER = "赵志刚"
# 2024-03-04 17:00 UTC is 2024-03-05 01:00 in Beijing: the date printed is Beijing's
SIGNED_AT = datetime(2024, 3, 4, 17, 0, tzinfo=UTC)

# per kind: Chinese content, and one text of it that must come back out of the PDF
CONTENT: dict[str, tuple[dict, str]] = {
    "inspection_record": ({
        "started_at": "2024年3月5日 09:10", "ended_at": "2024年3月5日 15:40", "place": "井下3101综采工作面",
        "team": ["赵志刚", "钱明"], "leader": "赵志刚", "mine_representative": "孙建国",
        "findings": ["回风巷瓦斯传感器悬挂位置距顶板超过300毫米", "局部通风机未实行挂牌管理"],
        "summary": "现场检查发现问题2项，已当场告知。",
    }, "回风巷瓦斯传感器悬挂位置距顶板超过300毫米"),
    "measures_decision": ({
        "measures": ["责令3101综采工作面立即停止作业", "责令从危险区域撤出作业人员"],
        "basis": "《中华人民共和国安全生产法》第六十五条", "place": "井下3101综采工作面",
    }, "责令3101综采工作面立即停止作业"),
    "rectification_order": ({
        "items": [{"text": "更换失效的自救器12台", "basis": "《煤矿安全规程》第六百八十六条",
                   "deadline": "2024-03-20"}],
        "deadline": "2024-03-20", "reinspect_on": "2024-03-22",
    }, "更换失效的自救器12台"),
    "penalty_notice": ({
        "facts": "2024年3月5日检查发现该矿超能力组织生产。", "basis_violation": "《煤矿安全监察条例》第二十六条",
        "basis_penalty": "《安全生产法》第一百零一条", "proposed": "罚款人民币伍拾万元整",
        "parties": [{"name": "山西汾西某某煤业有限责任公司", "kind": "单位", "penalty": "罚款伍拾万元"}],
    }, "超能力组织生产"),
    "penalty_decision": ({
        "facts": "2024年3月5日检查发现该矿超能力组织生产。", "basis_violation": "《煤矿安全监察条例》第二十六条",
        "basis_penalty": "《安全生产法》第一百零一条", "proposed": "罚款人民币伍拾万元整",
        "parties": [{"name": "李卫东", "kind": "个人", "penalty": "罚款贰万元"}],
        "approved_by": "周局长", "approved_at": "2024-03-12", "payment_due": "2024-03-27",
        "payment_account": "山西省非税收入汇缴结算户",
    }, "山西省非税收入汇缴结算户"),
    "reinspection_opinion": ({
        "order_number": "晋应急煤责改〔2024〕7号", "opinion": "经复查，指令书所列问题已全部整改完毕。",
        "rectified": "是",
    }, "指令书所列问题已全部整改完毕"),
}


def render(kind: str, content: dict, **overrides) -> bytes:
    args = {"number": NUMBER, "organization": ORGANIZATION, "mine": MINE, "content": content,
            "signer": SIGNER, "signed_at": SIGNED_AT, "version": 1, **overrides}
    return pdf.render_document(kind, **args)


def squeeze(text: str) -> str:
    """CJK extraction puts spaces and line breaks where it likes: compare without any."""
    return re.sub(r"\s+", "", text)


def reader(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data))


def all_text(data: bytes) -> str:
    return squeeze("".join(page.extract_text() for page in reader(data).pages))


def test_pdfs_can_be_made_here():
    assert pdf.pdf_available() is None


def test_every_kind_has_content_default_pattern_and_template():
    assert set(CONTENT) == set(pdf.DOCUMENT_KINDS) == set(pdf.DEFAULT_PATTERNS)


@pytest.mark.parametrize("kind", list(pdf.DOCUMENT_KINDS))
def test_each_kind_renders_its_chinese_text(kind):
    content, marker = CONTENT[kind]
    data = render(kind, content)
    assert data.startswith(b"%PDF-")
    text = all_text(data)
    for expected in (pdf.DOCUMENT_KINDS[kind], ORGANIZATION, NUMBER, MINE, marker, SIGNER,
                     "执法人员（签名）", "2024年3月5日", "第1版"):
        assert squeeze(expected) in text, expected
    for label, value in pdf.content_text(kind, content):
        assert squeeze(label) in text
        assert squeeze(value) in text
    assert "None" not in text
    title = reader(data).metadata.title
    assert title is not None and pdf.DOCUMENT_KINDS[kind] in title and NUMBER in title


def test_dates_in_the_content_are_written_the_chinese_way():
    content, _ = CONTENT["rectification_order"]
    rows = dict(pdf.content_text("rectification_order", content))
    assert rows["整改完成期限"] == "2024年3月20日"
    assert rows["整改事项（1）"] == "更换失效的自救器12台（依据：《煤矿安全规程》第六百八十六条；整改期限：2024年3月20日）"


def test_user_markup_is_shown_as_text_not_interpreted():
    findings = ["<script>alert('x')</script>通风不良", "<b>加粗</b>&amp;", '<img src="http://127.0.0.1:9/x.png">']
    content = {**CONTENT["inspection_record"][0], "findings": findings}
    html = pdf.document_html("inspection_record", number=NUMBER, organization="<i>厅</i>", mine=MINE,
                             content=content, signer=SIGNER, signed_at=SIGNED_AT, version=1)
    assert "<script>" not in html and "<b>" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html and "&amp;amp;" in html
    text = all_text(render("inspection_record", content, organization="<i>厅</i>"))
    for shown in ("<script>alert('x')</script>通风不良", "<b>加粗</b>&amp;", "<i>厅</i>", "<imgsrc="):
        assert shown in text, shown


def test_missing_fields_are_blank_lines_never_none():
    for kind in pdf.DOCUMENT_KINDS:
        rows = pdf.content_text(kind, {})
        assert rows and all(label for label, _ in rows)
        assert all("None" not in value for _, value in rows)
        text = all_text(render(kind, {"findings": None, "measures": [None], "items": [{}]}))
        assert "None" not in text
    rows = pdf.content_text("inspection_record", {"findings": None, "team": None})
    assert ("检查发现的问题", "") in rows and ("检查人员", "") in rows
    # a rectification item with its deadline missing keeps a blank to fill in
    rows = dict(pdf.content_text("rectification_order", {"items": [{"text": "补齐图纸"}]}))
    assert rows["整改事项（1）"] == f"补齐图纸（依据：{pdf.BLANK}；整改期限：{pdf.BLANK}）"
    # the parties' rights are printed even when not given
    assert dict(pdf.content_text("penalty_notice", {}))["当事人的权利"] == pdf.DEFAULT_RIGHTS["penalty_notice"]
    assert "听证" in pdf.DEFAULT_RIGHTS["penalty_notice"] and "申辩" in pdf.DEFAULT_RIGHTS["penalty_notice"]


def test_a_short_record_is_one_page_with_its_page_number_and_version():
    data = render("inspection_record", CONTENT["inspection_record"][0], version=3)
    pages = reader(data).pages
    assert len(pages) == 1
    page = squeeze(pages[0].extract_text())
    assert "第1页共1页" in page and "第3版" in page


def test_eighty_findings_run_onto_numbered_pages_each_with_the_number():
    findings = [f"第{i}项：回风巷道支护不符合作业规程要求，锚杆间排距超标" for i in range(1, 81)]
    data = render("inspection_record", {**CONTENT["inspection_record"][0], "findings": findings})
    pages = reader(data).pages
    assert len(pages) > 1
    total = len(pages)
    for n, page in enumerate(pages, start=1):
        text = squeeze(page.extract_text())
        assert f"第{n}页共{total}页" in text
        assert NUMBER in text  # under the title on the first page, in the header on the others
    text = all_text(data)
    assert "第1项：" in text and "第80项：" in text and SIGNER in text
    assert text.index("第80项：") < text.index(f"执法人员（签名）：{SIGNER}")


def test_the_signing_date_is_beijing_time():
    late = datetime(2024, 12, 31, 16, 30, tzinfo=UTC)  # 2025-01-01 00:30 in Beijing
    assert "2025年1月1日" in all_text(render("reinspection_opinion", {}, signed_at=late))
    naive = datetime(2024, 12, 31, 23, 59)  # read as Beijing time
    assert "2024年12月31日" in all_text(render("reinspection_opinion", {}, signed_at=naive))


def test_unknown_kind_and_bad_version_are_refused():
    with pytest.raises(ValueError, match="未知的文书种类"):
        render("summons", {})
    with pytest.raises(ValueError, match="未知的文书种类"):
        pdf.content_text("summons", {})
    with pytest.raises(ValueError, match="版本号"):
        render("inspection_record", {}, version=0)


def test_format_number():
    assert pdf.format_number("中应急煤现决〔{year}〕{n}号", year=2024, sequence=12) == "中应急煤现决〔2024〕12号"
    assert pdf.format_number(pdf.DEFAULT_PATTERNS["penalty_decision"], year=2025, sequence=3,
                             org="晋应急") == "晋应急罚决〔2025〕3号"
    expected = {"inspection_record": "现检", "measures_decision": "现决", "rectification_order": "责改",
                "penalty_notice": "罚告", "penalty_decision": "罚决", "reinspection_opinion": "复查"}
    for kind, word in expected.items():
        assert pdf.format_number(pdf.DEFAULT_PATTERNS[kind], year=2024, sequence=1, org="晋") == f"晋{word}〔2024〕1号"


@pytest.mark.parametrize("pattern", ["中应急煤现决〔2024〕{n}号", "中应急煤现决〔{year}〕号", "中应急煤现决", ""])
def test_format_number_refuses_a_pattern_without_year_and_sequence(pattern):
    with pytest.raises(ValueError, match="文号格式须同时包含"):
        pdf.format_number(pattern, year=2024, sequence=12)


def test_format_number_refuses_other_placeholders_and_bad_values():
    with pytest.raises(ValueError, match="无法识别的占位符"):
        pdf.format_number("{year.__class__}〔{year}〕{n}号", year=2024, sequence=1)
    with pytest.raises(ValueError, match="机关代字"):
        pdf.format_number("{org}现决〔{year}〕{n}号", year=2024, sequence=1)
    with pytest.raises(ValueError, match="序号"):
        pdf.format_number("现决〔{year}〕{n}号", year=2024, sequence=0)
    with pytest.raises(ValueError, match="年份"):
        pdf.format_number("现决〔{year}〕{n}号", year=24, sequence=1)


def test_the_renderer_fetches_nothing_but_data_urls():
    fetcher = pdf._url_fetcher()
    for url in ("http://127.0.0.1:9/x.png", "https://127.0.0.1:9/x.css", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)
    response = fetcher.fetch("data:text/plain;base64,5Lit")
    try:
        assert response.read() == "中".encode()
    finally:
        response.close()


@pytest.fixture
def fresh_check():
    pdf.pdf_available.cache_clear()
    yield
    pdf.pdf_available.cache_clear()


def test_without_weasyprint_a_page_gets_the_reason_not_an_error(fresh_check, monkeypatch):
    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    reason = pdf.pdf_available()
    assert reason is not None and "Pango" in reason and "libpango-1.0-0" in reason
    with pytest.raises(pdf.PdfUnavailable, match="Pango"):
        render("inspection_record", {})
    # the page still shows the same fields
    assert pdf.content_text("inspection_record", {})[0] == ("检查开始时间", "")


def test_without_a_chinese_font_the_reason_names_it(fresh_check, monkeypatch):
    def no_cjk(args, **kwargs):
        return subprocess.CompletedProcess(args, 0, stdout="DejaVu Sans\nDejaVu Serif\n", stderr="")

    monkeypatch.setattr(pdf.subprocess, "run", no_cjk)
    reason = pdf.pdf_available()
    assert reason is not None and "fonts-noto-cjk" in reason
    with pytest.raises(pdf.PdfUnavailable, match="中文字体"):
        render("inspection_record", {})
