"""Where a text names an organisation: by its full name, a short name, or its
credit code (for blind review; pure: no Flask, no database).

**The short name.** A Chinese organisation's registered name is built as
region + trade name (字号) + industry + organisation form, e.g. 广州市 + 明珠 +
智能科技 + 股份有限公司, sometimes with the region in brackets
(明珠智能科技（广州）有限公司) or a branch after it (…有限公司佛山分公司). People
call it by its trade name: 明珠, 华为, 腾讯, 格力. :func:`short_names` finds that
core by removing, in order: bracketed parts; organisation forms and branch
suffixes at the end (有限公司, 股份有限公司, 集团, 分公司 and a region before
it, …); region prefixes (a province, a city of Guangdong with or without 市,
then a district or county: 广东省, 广州市番禺区, 中国); then industry and
institution words at the end, one after another (科技, 智能, 信息技术,
计算机系统, 电器, 控股, 大学, 研究院, …) while at least two characters remain.

The core is used when it is distinctive: at least two Chinese characters, or
three Latin letters, not only digits, and not itself a region, an industry
word or a common word (中国, 人民, 第一, …). Otherwise the name without its
organisation form is used when that differs from the full name (广东电网 for
广东电网有限责任公司, whose core 电网 is an ordinary word), and otherwise only
the full name (广东省人民医院, 中山大学: their cores 人民 and 中山 are not
distinctive). Examples::

    广州市明珠智能科技股份有限公司    → 明珠智能科技, 明珠智能, 明珠, …
    深圳市腾讯计算机系统有限公司      → 腾讯计算机系统, 腾讯计算机, 腾讯, …
    珠海格力电器股份有限公司          → 格力电器, 格力, …
    华南理工大学                      → 华南理工
    广东电网有限责任公司              → 广东电网
    中山大学, 广东省人民医院          → (only the full name)

A one-character fragment is never a term, and neither is a bare region or
industry word, so 深圳, 智能 or 科技 alone flag nothing. A two-character trade
name can still appear inside an ordinary phrase (美的 in 完美的): every finding
carries its excerpt, and the chair decides.

**Matching.** Terms are NFKC-normalised (full-width letters, digits and
brackets become ASCII) and match a text's ASCII or full-width forms alike,
case-insensitively; whitespace between the characters of a term is allowed
(PDF text extraction often splits 明 珠 or breaks a line inside a name).
Latin and digit terms (an English trade name, the credit code) must not
touch other letters or digits. Where several terms match at one place, the
longest wins. Excerpts quote the text as written.
"""
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

NAME = "name"
SHORT_NAME = "short_name"
CREDIT_CODE = "credit_code"

PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
    "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)
AUTONOMOUS_REGIONS = ("内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
                      "香港特别行政区", "澳门特别行政区")
# Guangdong's 21 prefecture-level cities (as app.reference.CITIES; a test keeps the two equal).
GUANGDONG_CITIES = (
    "广州", "韶关", "深圳", "珠海", "汕头", "佛山", "江门", "湛江", "茂名", "肇庆", "惠州", "梅州", "汕尾",
    "河源", "阳江", "清远", "东莞", "中山", "潮州", "揭阳", "云浮",
)
COUNTRY = ("中华人民共和国", "中国", "中华")

# Organisation forms, removed from the end (the longest first, repeatedly).
FORMS = (
    "股份有限公司", "有限责任公司", "有限公司", "股份公司", "集团公司", "总公司", "分公司", "公司", "集团",
    "有限合伙", "合伙企业", "个人独资企业", "企业", "事务所", "工作室", "合作社", "厂", "分行", "支行",
)
# Industry and institution words, removed from the end one at a time towards the trade name.
INDUSTRY = (
    "科技", "技术", "高科技", "高新技术", "信息", "信息技术", "信息科技", "智能", "智慧", "智造", "智控", "智联",
    "网络", "网络科技", "软件", "电子", "电子科技", "电器", "电气", "电机", "电力", "电网", "供电", "数据", "大数据",
    "数字", "数字科技", "数码", "云", "云计算", "计算机", "系统", "通信", "通讯", "互联网", "物联网", "人工智能",
    "机器人", "自动化", "装备", "设备", "机械", "机电", "精密", "制造", "工业", "实业", "产业", "控股", "投资",
    "发展", "建设", "建筑", "工程", "咨询", "服务", "管理", "物流", "供应链", "贸易", "商贸", "医疗", "医药",
    "医疗器械", "生物", "生物科技", "健康", "新能源", "能源", "环保", "环境", "材料", "新材料", "化工", "汽车",
    "光电", "半导体", "微电子", "集成电路", "芯片", "传媒", "文化", "教育", "金融", "保险", "银行", "证券",
    "航空", "航天", "交通", "运输", "港口", "机场", "地铁", "铁路", "水务", "燃气", "移动", "联通", "电信",
    "科创", "创新", "研究", "国际", "视觉", "视讯", "安防", "测控", "检测", "仪器", "仪表", "农业", "食品",
    "纺织", "家居", "家电", "照明", "钢铁", "有色", "矿业", "船舶", "重工", "轻工", "电商", "商务", "传感",
    "大学", "学院", "职业技术学院", "医院", "人民医院", "中医院", "研究院", "研究所", "研究中心", "中心",
    "实验室", "协会", "学会", "商会", "联合会", "基金会", "学校", "中学", "小学", "政府", "委员会", "管理局",
    "局", "办公室",
)
# Ordinary words that are no trade name on their own.
COMMON = (
    "人民", "第一", "第二", "第三", "华南", "华北", "华东", "华中", "华西", "南方", "北方", "东方", "西部",
    "中央", "国家", "全国", "省级", "市级", "新区", "高新", "开发", "产业园", "园区", "大湾区", "粤港澳",
    "湾区", "岭南", "珠江", "珠三角", "城市", "平台", "方案", "项目", "应用", "场景", "示范", "我司",
)

_WHITESPACE = re.compile(r"\s+")
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_CJK = re.compile(r"[\u3400-\u9fff]")
_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{1,3}?[区县旗]")


def normalise(text: str) -> str:
    """NFKC (full-width forms become ASCII), as every text is compared."""
    return unicodedata.normalize("NFKC", text or "")


def _compact(text: str) -> str:
    return _WHITESPACE.sub("", normalise(text))


def _regions() -> tuple[str, ...]:
    names = [*AUTONOMOUS_REGIONS, *COUNTRY]
    for place in PROVINCES:
        names += [f"{place}省", f"{place}市", place]
    for city in GUANGDONG_CITIES:
        names += [f"{city}市", city]
    return tuple(sorted(set(names), key=len, reverse=True))


REGIONS = _regions()
_FORMS = tuple(sorted(FORMS, key=len, reverse=True))
_INDUSTRY = tuple(sorted(INDUSTRY, key=len, reverse=True))
_GENERIC = frozenset(REGIONS) | frozenset(FORMS) | frozenset(INDUSTRY) | frozenset(COMMON)


def _strip_suffix(text: str, words: tuple[str, ...]) -> str:
    """``text`` without the first of ``words`` it ends with (two characters at least remain), else unchanged."""
    for word in words:
        if text.endswith(word) and len(text) - len(word) >= 2:
            return text[: -len(word)]
    return text


def _strip_forms(text: str) -> str:
    """Remove organisation forms and the regions before a branch suffix, from the end, until none is left."""
    while True:
        shorter = _strip_suffix(text, _FORMS)
        if shorter == text:
            return text
        text = _strip_suffix(shorter, REGIONS)  # 有限公司佛山分公司: the branch's city


def _strip_regions(text: str) -> str:
    """Remove region prefixes (a country, province or city, then a district or county)."""
    stripped = False
    while True:
        region = next((name for name in REGIONS if text.startswith(name) and len(text) - len(name) >= 2), None)
        if region is None:
            break
        text, stripped = text[len(region):], True
    if stripped:
        district = _DISTRICT.match(text)
        if district and len(text) - district.end() >= 2:
            text = text[district.end():]
    return text


def distinctive(term: str) -> bool:
    """Whether ``term`` is long and specific enough to flag: two Chinese
    characters or three Latin letters at least, not only digits, and not a
    region, industry, form or common word by itself."""
    term = _compact(term)
    if len(term) < 2 or term in _GENERIC or term.isdigit():
        return False
    if _CJK.search(term):
        return len(_CJK.findall(term)) >= 2 or len(term) >= 3
    return sum(char.isalpha() for char in term) >= 3


def short_names(name: str) -> tuple[str, ...]:
    """The short names of an organisation called ``name``, longest first (see the module's docstring)."""
    full = _compact(name)
    plain = _BRACKETS.sub("", full)
    base = _strip_forms(plain)
    stages = [plain, _strip_regions(plain), base]
    core = _strip_regions(base)
    stages.append(core)
    while True:
        shorter = _strip_suffix(core, _INDUSTRY)
        if shorter == core:
            break
        core = shorter
        stages.append(core)
    if distinctive(core):
        names = [stage for stage in stages if core in stage and distinctive(stage)]
    elif base != full and distinctive(base) and len(base) >= 3:
        names = [base]
    else:
        names = []
    unique = dict.fromkeys(stage for stage in names if stage != full)
    return tuple(sorted(unique, key=len, reverse=True))


@dataclass(frozen=True)
class Term:
    text: str
    kind: str  # NAME, SHORT_NAME or CREDIT_CODE


def organisation_terms(name: str, credit_code: str = "") -> tuple[Term, ...]:
    """What identifies an organisation in a text: its full name, its short
    names and its 18-character credit code."""
    terms = []
    full = _compact(name)
    if len(full) >= 2:
        terms.append(Term(full, NAME))
    terms += [Term(short, SHORT_NAME) for short in short_names(name)]
    code = _compact(credit_code).upper()
    if len(code) == 18:
        terms.append(Term(code, CREDIT_CODE))
    return tuple(terms)


@dataclass(frozen=True)
class Mention:
    """One place where a term was found: what matched, and the text around it."""

    kind: str
    text: str
    before: str
    after: str


_ALNUM = "A-Za-z0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"  # ASCII and full-width


def _character(char: str) -> str:
    """A pattern for ``char`` in its ASCII or its full-width form."""
    if "!" <= char <= "~":
        return f"[{re.escape(char)}{re.escape(chr(ord(char) + 0xFEE0))}]"
    return re.escape(char)


def _alternative(index: int, term: str) -> str:
    body = r"\s*".join(_character(char) for char in term)
    if re.match(r"[A-Za-z0-9]", term):
        body = f"(?<![{_ALNUM}])" + body
    if re.search(r"[A-Za-z0-9]$", term):
        body += f"(?![{_ALNUM}])"
    return f"(?P<t{index}>{body})"


@lru_cache(maxsize=256)
def _pattern(terms: tuple[Term, ...]) -> re.Pattern | None:
    ordered = sorted(terms, key=lambda term: len(term.text), reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(_alternative(index, term.text) for index, term in enumerate(ordered)), re.IGNORECASE)


def _ordered(terms: tuple[Term, ...]) -> list[Term]:
    return sorted(terms, key=lambda term: len(term.text), reverse=True)


def _excerpt(text: str) -> str:
    return _WHITESPACE.sub(" ", text)


def find_mentions(text: str, terms: tuple[Term, ...], *, context: int = 16) -> list[Mention]:
    """Every place in ``text`` where one of ``terms`` appears (the longest at
    each place), with up to ``context`` characters either side."""
    pattern = _pattern(tuple(terms))
    if pattern is None or not text:
        return []
    ordered = _ordered(tuple(terms))
    mentions = []
    for match in pattern.finditer(text):
        term = ordered[int(match.lastgroup[1:])]
        start, end = match.span()
        before = _excerpt(text[max(0, start - context):start]).lstrip()
        after = _excerpt(text[end:end + context]).rstrip()
        mentions.append(Mention(
            kind=term.kind,
            text=_excerpt(match.group()),
            before=("…" if start > context else "") + before,
            after=after + ("…" if end + context < len(text) else ""),
        ))
    return mentions
