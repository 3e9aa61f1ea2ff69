"""The envelope of an uploaded file: its name, its encoding, its terminator and which family of
formats it belongs to (FORMATS.md §1 "Envelope" and §2; kuangan's own CSV files, docs/formats-kuangan.md).

Everything here works per file (a handful of Python steps per upload) or on one Polars Series
holding every file of the batch; no step loops over records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

# Families (FILES.family). "A" is the national format; the others are recognised and quarantined.
FAMILY_A = "A"
FAMILY_NON_COAL = "non_coal"  # N-prefixed types, segments end ^, file ends ]]]
FAMILY_OLD_NATIONAL = "old_national"  # MT/T 1116 era: header KJ;<table>|, batch ends ‖
FAMILY_HUAINAN = "huainan"  # Huainan (Anhui) line-per-record *AQSS / *RYSS files
FAMILY_KUANGAN = "kuangan"  # kuangan's own CSV files: <mine>_<TYPE>_<yyyyMMddHHmmss>.csv

# The family-A types this parser reads: safety monitoring and personnel positioning.
SAFETY_TYPES = frozenset({"CDDY", "CDSS", "FZDY", "FZSS", "TJSJ", "YCBJ"})
PERSONNEL_TYPES = frozenset({"RYXX", "RYQY", "RYJZ", "RYSS", "JZSS", "RYCS", "RYCY", "RYQJ", "RYXZ"})
FAMILY_A_TYPES = SAFETY_TYPES | PERSONNEL_TYPES
# kuangan's own CSV types (power use, seals): the only types named `.csv`, and never `.txt`.
CSV_TYPES = frozenset({"YDSJ", "DZFT"})

# Reasons, in Chinese: they are shown to the people who chase the mines' uploads.
REASON_BAD_NAME = "文件名不符合 <矿山编码>_<类型>_<时间>.txt"
REASON_UNDECODABLE = "文件编码无法识别（既不是 UTF-8 也不是 GB18030）"
REASON_INCOMPLETE = "文件未写完（缺少结束符 ||）"
REASON_AFTER_END = "结束符 || 之后还有内容"
REASON_DUPLICATE = "重复上传的文件"
REASON_UNKNOWN_TYPE = "未知的文件类型 {file_type}"
REASON_NON_COAL = "非煤矿山格式（N 开头的类型，^ 分段，]]] 结尾）暂不支持：{file_type}"
REASON_OLD_NATIONAL = "旧版国家标准格式（MT/T 1116，文件头 KJ;<表名>|，以 ‖ 结尾）暂不支持：{file_type}"
REASON_HUAINAN = "淮南（安徽）逐行格式（省;市;县;矿; 前缀）暂不支持：{file_type}"
# the rest of the name is well formed:
REASON_BAD_SUFFIX = "文件扩展名应为 .txt，实为 {suffix}"
REASON_NO_SUFFIX = "文件名缺少扩展名 .txt"
REASON_BAD_CSV_NAME = "文件名不符合 <矿山编码>_<类型>_<时间>.csv"
REASON_CSV_SUFFIX = "{file_type} 文件的扩展名应为 .csv（kuangan CSV 格式），实为 {suffix}"
REASON_CSV_NO_SUFFIX = "{file_type} 文件名缺少扩展名 .csv（kuangan CSV 格式）"
# Trust (one mine speaks only for itself, no file moves time, every file has limits):
REASON_FOREIGN = "属于其他矿井的测点"  # a record's reason: "<this>：<code>"
REASON_TOO_LARGE = "文件超过大小上限（{limit}）"
REASON_PARTIAL = "只收到文件的前 {read} 字节（共 {size} 字节），未解析"
REASON_CLOCK = "文件头时间 {header} 超前于到达时间 {arrival}（超过 {seconds} 秒）：时钟故障，未采用"
REASON_TOO_MANY_REJECTED = "无效记录过多（{rejected}/{records} 条，超过 {share}）：{counts}"

# Characters of a file kept for recognising its family (the header and a little more).
HEAD_CHARS = 300
# Characters of a quarantined file kept in its reject row.
RAW_CHARS = 200

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
END = b"||"
SEGMENT_END = "~"
SEPARATOR = ";"
FULL_WIDTH_SEPARATOR = "；"
BOM = b"\xef\xbb\xbf"

_NAME = re.compile(
    r"(?P<mine>[0-9A-Za-z]+)_(?P<type>[A-Z]+)_(?P<stamp>[0-9]{14})\.(?P<suffix>txt|TXT|csv|CSV)"
)
_NAME_OTHER_SUFFIX = re.compile(r"[0-9A-Za-z]+_(?P<type>[A-Z]+)_[0-9]{14}(?P<suffix>(?:\..*)?)", re.DOTALL)
_OLD_NATIONAL_HEADER = re.compile(r"KJ;(?P<table>[^|;~]{1,8})\|")
# the name's stem ends with the table, e.g. 340400000001AQSS.txt
_HUAINAN_NAME = re.compile(r"(AQSS|RYSS)(?:\.[A-Za-z]+)?\Z", re.IGNORECASE)
_HUAINAN_TEXT = re.compile(
    r"^[^;~\r\n]*省;[^;~\r\n]*市;|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
)


@dataclass(frozen=True)
class FileName:
    """The parts of a file name `<mine code>_<TYPE>_<yyyyMMddHHmmss>.txt` (family A) or `….csv`
    (kuangan's own CSV types)."""

    mine_code: str
    file_type: str
    stamp: datetime

    @property
    def family(self) -> str:
        return FAMILY_KUANGAN if self.file_type in CSV_TYPES else FAMILY_A


def parse_name(name: str) -> FileName | None:
    """The parts of a well-formed name, or None. The mine code's length is not fixed (9, 11, 12 and
    20 characters occur). The suffix is `.txt` (or `.TXT`), but `.csv` (or `.CSV`) for the CSV types
    and only for them: a name with the other suffix is not well formed."""
    match = _NAME.fullmatch(name)
    if match is None or (match["suffix"] in ("csv", "CSV")) != (match["type"] in CSV_TYPES):
        return None
    s = match["stamp"]
    try:
        stamp = datetime(int(s[0:4]), int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]), int(s[12:14]))  # noqa: DTZ001 - Beijing time, naive like every time in the engine
    except ValueError:
        return None
    return FileName(mine_code=match["mine"], file_type=match["type"], stamp=stamp)


def stamp_text(name: str) -> str:
    """The 14 digits of a family-A (or CSV) name's time as written (they sort as the time does), or ""."""
    match = _NAME.fullmatch(name)
    return match["stamp"] if match is not None else ""


def printable_name(name: str) -> str:
    """The name as a valid UTF-8 string (a name decoded with surrogate escapes cannot be stored)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return name


@dataclass(frozen=True)
class Decoded:
    """Every file of a batch decoded (`decode_all`), with what the parser counts in each text."""

    texts: list[bytes | None]  # UTF-8 without BOM; None where undecodable
    encodings: list[str | None]  # "utf-8" / "gb18030"; None where undecodable
    full_width: list[bool]  # a full-width separator anywhere (such files are read record by record)
    segment_ends: list[int]  # `~` in the text
    separators: list[int]  # `;` in the text


def decode_all(datas: list[bytes]) -> Decoded:
    """Every file as UTF-8 bytes without BOM (None where undecodable), with its encoding and counts.

    Strict UTF-8 first, else GB18030. The common case (every file UTF-8) is validated by one Arrow
    cast over the batch, which also counts and finds what the parser needs in every file at once; a
    batch with another encoding falls back to a per-file check. GB18030 text is re-encoded to UTF-8
    before its structure is looked at: its trail bytes can be `|` or `~`.
    """
    raws = [d[len(BOM) :] if d.startswith(BOM) else d for d in datas]
    try:
        texts = pl.Series(raws, dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.PolarsError:
        pass
    else:
        counts = pl.DataFrame({"text": texts}).select(
            full_width=pl.col("text").str.contains(FULL_WIDTH_SEPARATOR, literal=True),
            segment_ends=pl.col("text").str.count_matches(SEGMENT_END, literal=True),
            separators=pl.col("text").str.count_matches(SEPARATOR, literal=True),
        )
        return Decoded(
            list(raws), ["utf-8"] * len(raws), *(counts.get_column(c).to_list() for c in counts.columns)
        )
    decoded: list[bytes | None] = []
    encodings: list[str | None] = []
    for raw in raws:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError:
                decoded.append(None)
                encodings.append(None)
                continue
            decoded.append(text.removeprefix("\ufeff").encode("utf-8"))
            encodings.append("gb18030")
        else:
            decoded.append(raw)
            encodings.append("utf-8")
    full_width_bytes = FULL_WIDTH_SEPARATOR.encode()
    return Decoded(
        decoded,
        encodings,
        [text is not None and full_width_bytes in text for text in decoded],
        [text.count(b"~") if text is not None else 0 for text in decoded],
        [text.count(b";") if text is not None else 0 for text in decoded],
    )


def clean(text: bytes) -> bytes:
    """The text without any CR or LF, outer blanks trimmed (UTF-8 bytes in, UTF-8 bytes out)."""
    if b"\n" in text or b"\r" in text:
        text = text.replace(b"\r", b"").replace(b"\n", b"")
    return text.strip(b" \t")


def tail(text: bytes, chars: int) -> str:
    """The last characters of UTF-8 text."""
    return text[-4 * chars :].decode("utf-8", "replace")[-chars:]


def head(text: bytes, chars: int) -> str:
    """The first characters of UTF-8 text (4 bytes per character at most)."""
    return text[: 4 * chars].decode("utf-8", "replace")[:chars]


def raw_text(data: bytes) -> str:
    """The first characters of an undecodable file for its reject row, decoded with replacement."""
    return head(data[len(BOM) :] if data.startswith(BOM) else data, RAW_CHARS)


@dataclass(frozen=True)
class Verdict:
    """Which family a file belongs to and, when it cannot be read here, why."""

    family: str | None
    file_type: str | None
    reason: str | None  # None: a family-A file or a kuangan CSV file to parse


def recognise(name: str, file_name: FileName | None, head: str, clean_head: str, clean_tail: str) -> Verdict:
    """The family of a decoded file from its name and its text.

    head: the first characters of the decoded text (line breaks kept, for line-per-record files);
    clean_head / clean_tail: the start and end of the text once CR/LF are stripped.
    Content signatures come first (they are unambiguous), then the name; but a well-formed CSV name
    (`<mine>_YDSJ_<time>.csv`) is kuangan's own format whatever its text (the CSV reader says what is
    wrong with it).
    """
    if file_name is not None and file_name.family == FAMILY_KUANGAN:
        return Verdict(FAMILY_KUANGAN, file_name.file_type, None)
    name_type = file_name.file_type if file_name is not None else None
    old = _OLD_NATIONAL_HEADER.match(clean_head)
    if clean_head.startswith("KJ;"):
        file_type = old["table"] if old is not None else name_type
        return Verdict(FAMILY_OLD_NATIONAL, file_type, REASON_OLD_NATIONAL.format(file_type=file_type or "?"))
    if (
        name_type is not None and name_type[:1] == "N" and name_type[1:] in FAMILY_A_TYPES
    ) or clean_tail.endswith("]]]"):
        return Verdict(FAMILY_NON_COAL, name_type, REASON_NON_COAL.format(file_type=name_type or "?"))
    if file_name is None or name_type not in FAMILY_A_TYPES:
        huainan_name = _HUAINAN_NAME.search(name) if file_name is None else None
        if huainan_name is not None or _HUAINAN_TEXT.search(head) is not None:
            file_type = huainan_name[1].upper() if huainan_name is not None else name_type
            return Verdict(FAMILY_HUAINAN, file_type, REASON_HUAINAN.format(file_type=file_type or "?"))
    if file_name is None:
        other = _NAME_OTHER_SUFFIX.fullmatch(name)
        if other is not None and other["type"] in CSV_TYPES:
            suffix = other["suffix"]
            if suffix in (".csv", ".CSV"):  # the time is not a time
                return Verdict(None, None, REASON_BAD_CSV_NAME)
            reason = REASON_CSV_SUFFIX if suffix else REASON_CSV_NO_SUFFIX
            return Verdict(None, None, reason.format(file_type=other["type"], suffix=suffix))
        if other is not None and other["suffix"] not in (".txt", ".TXT"):
            suffix = other["suffix"]
            return Verdict(
                None, None, REASON_BAD_SUFFIX.format(suffix=suffix) if suffix else REASON_NO_SUFFIX
            )
        return Verdict(None, None, REASON_BAD_NAME)
    if name_type not in FAMILY_A_TYPES:
        return Verdict(FAMILY_A, name_type, REASON_UNKNOWN_TYPE.format(file_type=name_type))
    return Verdict(FAMILY_A, name_type, None)


def frame_segments(text: bytes) -> tuple[str, bytes]:
    """(header, framed text) of a complete clean file.

    The framed text ends with `~||`, so that split on `~` it gives the header, the record segments
    and the terminator: `HDR~R1~R2~||` as is; `HDR~R1~R2||` (no `~` before the terminator) and
    `HDR||` get one added. Record segments are what lies between two `~`: `HDR~~||` has one, empty.
    """
    if text.endswith(b"~" + END):
        return text[: text.find(b"~")].decode("utf-8"), text
    body = text[: -len(END)]
    cut = body.find(b"~")
    return (body if cut < 0 else body[:cut]).decode("utf-8"), body + b"~" + END


def record_count(clean: bytes, segment_ends: int) -> int:
    """The record segments of a complete clean file holding `segment_ends` `~` (its framed text,
    `HDR~R1~…~Rn~||`, has one `~` more when `frame_segments` had to add the last one)."""
    return segment_ends - 1 if clean.endswith(b"~" + END) else segment_ends


HEADER_FIELDS = {
    "CDDY": 7,  # mine code; mine name; model; system; maker; safety-mark expiry; upload time
    "RYXX": 8,  # mine code; mine name; approved number underground; model; system; maker; expiry; upload time
}
DEFAULT_HEADER_FIELDS = 3  # mine code; mine name; upload time


@dataclass(frozen=True)
class Header:
    """A header's fields as the per-file checks need them."""

    fields: int
    mine_code: str
    mine_name: str | None
    time_text: str
    time: datetime | None
    full_width: bool

    def readable(self, file_type: str) -> bool:
        """Whether the header's fields can be trusted (mine code, mine name) at all."""
        return not self.full_width and self.fields == HEADER_FIELDS.get(file_type, DEFAULT_HEADER_FIELDS)


_YEAR_1000 = datetime(1000, 1, 1)


def parse_times(text: pl.Expr) -> pl.Expr:
    """`yyyy-MM-dd HH:mm:ss` to a naive datetime; null when unreadable. The year must have four
    digits (chrono would read `24-06-01` as the year 24)."""
    parsed = text.str.to_datetime(TIME_FORMAT, strict=False, time_unit="us", cache=True)  # few distinct times
    return pl.when(parsed >= _YEAR_1000).then(parsed)  # a comparison: cheaper than taking the year


def parse_headers(headers: list[str]) -> list[Header]:
    """Split every header of the batch; their times are parsed at once, like the records' times."""
    parts = [header.split(SEPARATOR) for header in headers]
    time_texts = [p[-1] for p in parts]
    times = pl.DataFrame({"t": time_texts}, schema={"t": pl.String}).select(parse_times(pl.col("t")))
    times_list = times.to_series().to_list()
    return [
        Header(
            fields=len(p),
            mine_code=p[0],
            mine_name=p[1] if len(p) > 1 else None,
            time_text=p[-1],
            time=t,
            full_width=FULL_WIDTH_SEPARATOR in header,
        )
        for header, p, t in zip(headers, parts, times_list, strict=True)
    ]


def header_problem(file_type: str, name_mine_code: str, header: Header) -> str | None:
    """Why a header makes the whole file unreadable, or None."""
    expected = HEADER_FIELDS.get(file_type, DEFAULT_HEADER_FIELDS)
    if header.full_width:
        return "文件头使用了全角分号"
    if header.fields != expected:
        return f"文件头字段数应为 {expected}，实为 {header.fields}"
    if header.mine_code != name_mine_code:
        return f"文件头的煤矿编码 {header.mine_code} 与文件名中的 {name_mine_code} 不一致"
    if header.time is None:
        return f"文件头的数据上传时间无法识别：{header.time_text}"
    return None


def too_large(max_bytes: int) -> str:
    """The reason of a file larger than `max_bytes` (the limit in whole MiB, or in bytes below 1 MiB)."""
    limit = f"{max_bytes // 2**20} MB" if max_bytes >= 2**20 else f"{max_bytes} 字节"
    return REASON_TOO_LARGE.format(limit=limit)


def clock_problem(header_time: datetime, arrival: datetime, tolerance: timedelta) -> str:
    """The reason of a file whose header time lies more than `tolerance` after its arrival."""
    return REASON_CLOCK.format(
        header=header_time.strftime(TIME_FORMAT),
        arrival=arrival.strftime(TIME_FORMAT),
        seconds=int(tolerance.total_seconds()),
    )


def too_many_rejected(rejected: int, records: int, share: float, kinds: Mapping[str, int]) -> str:
    """The reason of a file quarantined whole for its bad records, with their count per kind (most
    first)."""
    counts = "；".join(f"{kind} {n} 条" for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    return REASON_TOO_MANY_REJECTED.format(
        rejected=rejected, records=records, share=f"{share * 100:g}%", counts=counts
    )
