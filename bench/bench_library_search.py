"""How fast is the public library's search at 50,000 published scenarios?

Builds a migrated temporary SQLite database (and, with ``--postgres URL`` or
``BENCH_DATABASE_URL``, a fresh PostgreSQL database of its own on that
server: created under a unique name, migrated with Alembic, dropped at the
end; no other database is touched) and seeds it with Core inserts: 5 calls
of 10,000 selected entries (``--cases`` in all) from 400 organisations, a
published result run per call, and 50,000 ``library_cases`` with Chinese titles (10–30 characters),
summaries (150–300 characters, from a vocabulary of a few hundred words
about AI applications), organisation names and 2–5 technology tags, their
``search_text`` made by ``app.library.services.search_text``; problem and
solution texts too (not searched, but a scan reads whole rows).

Times ``app.library.search.find`` (the count and the first page of 20, as
the library page runs it) for short, long, rare, two-term, English and
missing queries, and checks that it finds the baseline's hits and the same
first page in the same order. SQLite answers terms of 3+ characters from
the FTS5 trigram table, shorter ones from the FTS5 grams table (``instr()``
on the trigram table's copy for other characters), counts over a narrow
index and, from 1,000 hits, walks the order index for the page; PostgreSQL
uses its grams GIN index (``library_search_grams(search_text) @> …``, with
``strpos()`` checking terms of 4+ characters), and for a first page of a
search its statistics say is common walks the order index and counts the
hits apart. The table's ``path`` column
says which; the PostgreSQL plan of every statement is printed after the table.
Baseline, in the same run on the same database: the count and the first
page with every term as a plain ``LIKE '%q%'`` scan of ``search_text``
(``ILIKE`` with index scans disabled on PostgreSQL). Median and p95 of N
runs. Target of the issue: ≤ 50 ms per query.

    .venv/bin/python bench/bench_library_search.py [--cases 50000] [--runs 15] [--narrow]
        [--postgres postgresql://user@host:5432/any]   (or BENCH_DATABASE_URL)

Only the PostgreSQL server of that URL is used (through its ``postgres``
maintenance database, or the URL's own if that one cannot be reached):
the named database itself is never read or written.
"""
import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from sqlmodel import Session, func, select

from app import create_app
from app.accounts.credit_code import make_credit_code
from app.config import normalise_database_url
from app.db import create_engine, gram_character
from app.enums import Domain, EntryStatus, Technology
from app.library import search
from app.library.services import search_text
from app.models import Call, Entry, LibraryCase, Organisation, ResultRun
from app.reference import CITIES
from tests.databases import migrate

TARGET_MS = 50.0
CALLS = 5  # one per year, the cases spread evenly
ORGANISATIONS = 400
PER_PAGE = 20
RARE = "荔枝果园病虫害识别"  # planted in a handful of summaries
RARE_CASES = 8

QUERIES = (
    ("1 character", "智"),
    ("2 characters", "智能"),
    ("2 characters", "质检"),
    ("3 characters", "大模型"),
    ("4 characters", "缺陷检测"),
    ("rare phrase", "荔枝果园"),
    ("two terms, 2 + 2", "智能 调度"),
    ("two terms, 3 + 2", "大模型 客服"),
    ("English", "vision"),
    ("no hit", "量子纠缠"),
)

# --- the text: a few hundred words about AI applications ---------------------------

PLACES = tuple(name for name, _label in CITIES.values()) + (
    "天河", "南山", "宝安", "龙岗", "顺德", "南海", "番禺", "黄埔", "前海", "横琴", "松山湖", "大亚湾", "南沙", "坪山",
)
INDUSTRIES = (
    "汽车零部件", "电子制造", "家电", "陶瓷", "纺织", "服装", "家具", "食品饮料", "医药", "化工", "钢铁", "注塑", "模具",
    "光伏", "锂电池", "半导体", "显示面板", "印制电路板", "造纸", "港口", "电网", "供水", "燃气", "地铁", "公交", "物流",
    "仓储", "冷链", "银行", "保险", "证券", "医院", "社区卫生", "中小学", "职业院校", "高校", "政务服务", "公安", "消防",
    "应急管理", "城市管理", "生态环境", "农业", "水产养殖", "林业", "建筑工地", "物业", "酒店", "零售", "电商", "客服中心",
    "养老", "文旅", "机场", "高速公路", "水利", "石化", "船舶", "纺织印染", "五金",
)
AI_TERMS = (
    "智能质检", "缺陷检测", "影像诊断", "智能调度", "预测性维护", "大模型", "知识图谱", "机器视觉", "计算机视觉", "深度学习",
    "机器学习", "自然语言处理", "语音识别", "语音合成", "多模态", "数字孪生", "边缘计算", "边缘推理", "目标检测", "图像分割",
    "异常检测", "时序预测", "强化学习", "联邦学习", "隐私计算", "推荐算法", "智能客服", "智能问答", "检索增强生成", "智能体",
    "文字识别", "文本分类", "情感分析", "自动驾驶", "无人机巡检", "巡检机器人", "协作机器人", "自动导引车", "路径规划",
    "运筹优化", "智能排产", "需求预测", "风险识别", "反欺诈", "信用评估", "辅助诊断", "病理分析", "智能分诊", "个性化学习",
    "智能批改", "信号优化", "视频分析", "行为识别", "烟火识别", "安全帽识别", "能耗优化", "负荷预测", "故障诊断", "声纹识别",
    "红外测温", "三维重建", "点云分析", "激光雷达", "模型压缩", "向量检索", "知识库", "生成式AI", "图神经网络", "小样本学习",
)
SYSTEMS = (
    "平台", "系统", "中台", "引擎", "解决方案", "一体机", "管理平台", "监测系统", "预警系统", "决策支持系统", "指挥中心",
    "运维平台", "工作台", "助手", "服务平台",
)
PROBLEMS = (
    "人工目检效率低", "漏检误检频发", "依赖老师傅经验", "数据孤岛严重", "招工难用工贵", "响应速度慢", "设备老化故障多",
    "非计划停机损失大", "排队等候时间长", "信息不对称", "标准不统一", "巡检覆盖不全", "夜间值守压力大", "报表靠手工汇总",
    "能耗居高不下", "库存积压", "调度靠电话协调", "投诉处理周期长", "风险发现滞后", "专家资源不足", "工单流转慢",
    "质量追溯困难", "安全隐患难以及时发现", "基层人手紧张",
)
PROCESSES = (
    "来料检验", "生产排程", "设备点检", "成品出库", "订单分拣", "车辆调度", "线路巡检", "窗口受理", "审批流转", "病历书写",
    "影像阅片", "课堂教学", "作业批改", "信贷审批", "理赔核损", "客户回访", "安全巡查", "隐患排查", "应急处置", "能源管理",
    "仓库盘点", "配送路径", "泊位分配", "工艺参数调优", "配方研发",
)
DATA = (
    "产线图像", "设备振动数据", "电流电压曲线", "工单记录", "病历文本", "医学影像", "监控视频", "卫星遥感影像", "交通流量",
    "气象数据", "交易流水", "客户通话录音", "政策文件", "历史案例", "传感器数据", "巡检照片", "作业与试卷", "物流轨迹",
    "能耗数据", "舆情信息",
)
ANALYSES = (
    "实时分析", "自动识别", "智能研判", "趋势预测", "关联分析", "多维建模", "自动标注", "精准画像", "全量比对", "在线推理",
)
GOALS = (
    "缺陷自动分级", "故障提前预警", "工单自动派发", "问题秒级定位", "全流程可追溯", "资源最优配置", "风险精准识别",
    "服务主动推送", "诊断结果辅助复核", "排产方案自动生成", "运维由被动转主动", "知识沉淀复用", "一屏统管", "少人化值守",
    "个性化学习路径推荐", "交通信号自适应配时", "能耗动态优化", "智能问答全天候服务",
)
RESULTS = (
    "显著降低人工成本", "大幅提升缺陷检出率", "缩短平均处理时长", "减少非计划停机", "提高群众办事满意度", "降低能耗与碳排放",
    "减少误报漏报", "提升整体运营效率", "降低漏检率", "提高识别准确率", "年节约成本数百万元", "保障安全生产",
    "提升服务质量", "加快应急响应速度", "减轻一线人员负担", "形成可复制推广的经验", "带动上下游企业数字化转型",
    "实现降本增效",
)
VERBS = ("部署", "建设", "构建", "引入", "打通", "上线", "升级", "融合", "集成", "推广")
SITES = ("工厂", "厂区", "车间", "门店", "网点", "站点", "院区", "校区", "街道", "园区", "码头", "变电站")
UNITS = ("条产线", "台设备", "个站点", "家门店", "个街镇", "所学校", "家医院", "个仓库")
BRANDS = (
    "华", "智", "创", "联", "科", "信", "达", "通", "云", "数", "视", "康", "航", "恒", "瑞", "博", "思", "源", "海", "粤",
    "芯", "腾", "睿", "捷", "安", "融", "汇", "维", "天", "新",
)
KINDS = (
    "科技有限公司", "信息技术有限公司", "智能制造有限公司", "人工智能研究院", "人民医院", "中医院", "实验中学", "职业技术学院",
    "供电局", "港务集团", "物流有限公司", "农村商业银行", "政务服务数据管理局", "城市管理和综合执法局", "地铁集团",
    "水务集团", "电子股份有限公司", "机器人有限公司",
)


def _sentence(rng: random.Random) -> str:
    pick = rng.choice
    shape = rng.randrange(6)
    if shape == 0:
        return f"针对{pick(INDUSTRIES)}行业{pick(PROBLEMS)}的问题，{pick(VERBS)}了基于{pick(AI_TERMS)}的{pick(SYSTEMS)}。"
    if shape == 1:
        return f"系统融合{pick(AI_TERMS)}与{pick(AI_TERMS)}技术，覆盖{pick(PROCESSES)}和{pick(PROCESSES)}环节，{pick(RESULTS)}。"
    if shape == 2:
        return f"通过{pick(AI_TERMS)}对{pick(DATA)}进行{pick(ANALYSES)}，实现{pick(GOALS)}。"
    if shape == 3:
        return (f"项目已接入{rng.randint(3, 900)}{pick(UNITS)}，识别准确率达到{rng.uniform(90, 99.9):.1f}%，"
                f"处理时间由{rng.randint(20, 90)}分钟缩短至{rng.randint(1, 15)}分钟。")
    if shape == 4:
        return f"目前已在{pick(PLACES)}、{pick(PLACES)}等{rng.randint(2, 40)}个{pick(SITES)}推广应用，{pick(RESULTS)}。"
    return f"依托{pick(DATA)}和{pick(AI_TERMS)}模型，{pick(PROCESSES)}实现{pick(GOALS)}，{pick(RESULTS)}。"


def _text(rng: random.Random, length: int, start: str = "") -> str:
    text = start
    while len(text) < length:
        text += _sentence(rng)
    return text[:length - 1] + "。"


def _title(rng: random.Random) -> str:
    while True:
        title = rng.choice((
            f"{rng.choice(PLACES)}{rng.choice(INDUSTRIES)}{rng.choice(AI_TERMS)}{rng.choice(SYSTEMS)}",
            f"基于{rng.choice(AI_TERMS)}的{rng.choice(INDUSTRIES)}{rng.choice(PROCESSES)}{rng.choice(SYSTEMS)}",
            f"{rng.choice(AI_TERMS)}赋能{rng.choice(PLACES)}{rng.choice(INDUSTRIES)}{rng.choice(GOALS)}",
            f"{rng.choice(INDUSTRIES)}{rng.choice(AI_TERMS)}与{rng.choice(AI_TERMS)}融合应用示范",
        ))
        if 10 <= len(title) <= 30:
            return title


def make_rows(cases: int, rng: random.Random, *, details: bool = True) -> dict[str, list[dict]]:
    """Every row to insert, the same for each database (explicit ids, so foreign keys line up)."""
    now = datetime.now(UTC)
    cities = list(CITIES)
    tags = [t.value for t in Technology]
    years = [now.year - CALLS + 1 + k for k in range(CALLS)]
    calls = [{"id": k + 1, "name": f"广东省人工智能应用场景征集（{year}年）", "year": year, "target_count": 200,
              "created_at": now - timedelta(days=365 * (CALLS - k))} for k, year in enumerate(years)]
    runs = [{"id": call["id"], "call_id": call["id"], "computed_at": call["created_at"] + timedelta(days=200),
             "method": "trimmed_mean", "parameters": {}, "summary": {}, "inputs_hash": "0" * 64,
             "published_at": call["created_at"] + timedelta(days=210), "content_hash": "1" * 64,
             "public_scores": True} for call in calls]
    organisations = []
    for n in range(ORGANISATIONS):
        city = cities[n % len(cities)]
        organisations.append({
            "id": n + 1, "name": f"{CITIES[city][0]}{''.join(rng.sample(BRANDS, 2))}{rng.choice(KINDS)}",
            "credit_code": make_credit_code(f"91{city}{n:09d}"), "city_code": city, "created_at": now})
    entries, library = [], []
    rare = set(rng.sample(range(cases), min(RARE_CASES, cases)))
    per_call = -(-cases // CALLS)
    for n in range(cases):
        call = calls[n // per_call]
        organisation = rng.choice(organisations)
        title = _title(rng)
        summary = _text(rng, rng.randint(150, 300), f"该方案在{RARE}中同样适用。" if n in rare else "")
        # Problem and solution are not searched, but a LIKE scan reads whole rows: as wide as in use.
        problem, solution = (_text(rng, rng.randint(300, 700)), _text(rng, rng.randint(800, 1600))) if details \
            else ("", "")
        domain, city = rng.choice(list(Domain)), rng.choice(cities)
        tech_tags = rng.sample(tags, rng.randint(2, 5))
        entries.append({
            "id": n + 1, "call_id": call["id"], "organisation_id": organisation["id"], "status": EntryStatus.SELECTED,
            "version": 1, "title": title, "domain": domain, "city_code": city, "partners": [], "summary": summary,
            "tech_tags": tech_tags, "created_at": now, "updated_at": now, "submitted_at": now})
        published = runs[call["id"] - 1]["published_at"]
        library.append({
            "id": n + 1, "entry_id": n + 1, "call_id": call["id"], "run_id": call["id"], "year": call["year"],
            "title": title, "organisation_name": organisation["name"], "domain": domain, "city_code": city,
            "tech_tags": tech_tags, "summary": summary, "public_summary": None, "problem": problem, "solution": solution,
            "deployment_scale": "", "outcomes": [], "photos": [], "rank": n % per_call + 1,
            "score": round(95 - (n % per_call) * 30 / per_call, 2), "featured": rng.random() < 0.02, "hidden": False,
            "hidden_reason": "", "published_at": published, "updated_at": published})
    return {"calls": calls, "runs": runs, "organisations": organisations, "entries": entries, "library": library}


def add_search_text(library: list[dict], app) -> None:
    """``search_text`` exactly as publication stores it (tag names in Chinese and English need the app)."""
    with app.app_context():
        for row in library:
            case = SimpleNamespace(title=row["title"], shown_summary=row["summary"],
                                   organisation_name=row["organisation_name"], tech_tags=row["tech_tags"])
            row["search_text"] = search_text(case)


def seed(url: str, rows: dict[str, list[dict]]) -> None:
    """Migrate ``url`` to head and insert ``rows`` (the search triggers or index fill as they would in use)."""
    migrate(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        for table, key in ((Call, "calls"), (Organisation, "organisations"), (ResultRun, "runs"), (Entry, "entries"),
                           (LibraryCase, "library")):
            connection.execute(sa.insert(table.__table__), rows[key])
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


# --- PostgreSQL: a database of our own on the given server ---------------------------


@contextmanager
def postgres_database(server_url: str):
    """Yield the URL of a new database on ``server_url``'s server; drop it afterwards."""
    given = sa.engine.make_url(normalise_database_url(server_url))
    name = f"bench_library_search_{uuid.uuid4().hex[:10]}"
    admin = None
    for maintenance in ("postgres", given.database):
        admin = sa.create_engine(given.set(database=maintenance), isolation_level="AUTOCOMMIT",
                                 poolclass=sa.pool.NullPool)
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            break
        except sa.exc.OperationalError:
            admin.dispose()
            if maintenance == given.database:
                raise
    try:
        yield given.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# --- timing --------------------------------------------------------------------------


def like_scan(session: Session, filters: search.Filters) -> tuple[int, list[int]]:
    """Baseline: a count and the first page in ``find``'s order, with every
    term as a plain substring scan of ``search_text``."""
    postgres = session.get_bind().dialect.name == "postgresql"
    where = [search.visible()]
    for term in search.terms(filters.q):
        column = LibraryCase.search_text
        where.append(column.ilike(f"%{term}%") if postgres else column.like(f"%{term}%"))
    total = session.exec(select(func.count()).select_from(LibraryCase).where(*where)).one()
    # search._order is find's own ORDER BY: the baseline sorts exactly as find does.
    order = search._order(filters, session.get_bind().dialect.name)
    cases = session.exec(select(LibraryCase).where(*where).order_by(*order).limit(PER_PAGE)).all()
    return total, [case.id for case in cases]


def ours(session: Session, filters: search.Filters) -> tuple[int, list[int]]:
    page = search.find(session, filters, per_page=PER_PAGE)
    return page.total, [case.id for case in page.cases]


def timings_ms(function, session: Session, filters: search.Filters, runs: int) -> tuple[list[float], tuple]:
    result = function(session, filters)  # warm up: statement cache, page cache
    timings = []
    for _ in range(runs):
        session.expunge_all()  # a request starts with an empty session
        started = time.perf_counter()
        result = function(session, filters)
        timings.append((time.perf_counter() - started) * 1000)
    return timings, result


def p95(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=20, method="inclusive")[-1]


def access_path(session: Session, filters: search.Filters, total: int) -> str:
    """How ``find`` answers ``filters``: SQLite from the terms (and the number
    of hits: walk or sort), PostgreSQL from the plans of its statements
    (and whether one walks the order index)."""
    found = search.terms(filters.q)
    if session.get_bind().dialect.name == "sqlite":
        parts = []
        if any(len(term) >= 3 for term in found):
            parts.append("trigram")
        if any(len(term) < 3 and all(map(gram_character, term)) for term in found):
            parts.append("grams")
        if any(len(term) < 3 and not all(map(gram_character, term)) for term in found):
            parts.append("instr")
        return " + ".join(parts) + (", walk" if total >= search.WALK_FROM else ", sort")
    plan = " ".join(" ".join(lines) for _, lines in postgres_plans(session, filters))
    path = "grams index" if "ix_library_cases_search_grams" in plan else \
        "trigram index" if "ix_library_cases_search_trgm" in plan else "seq scan" if "Seq Scan" in plan else plan[:30]
    walked = "ix_library_cases_search_order" in plan
    return path + (" + strpos" if "strpos(search_text" in plan else "") + (", walk" if walked else ", sort")


def postgres_plans(session: Session, filters: search.Filters) -> list[tuple[str, list[str]]]:
    """PostgreSQL's plan, without costs, of each statement ``find`` runs on
    ``library_cases`` for ``filters`` (the last, reading the page's rows by
    id, left out), in order, with the statement's first 60 characters."""
    statements = []

    def record(_connection, _cursor, statement, parameters, *_):
        if "FROM library_cases" in statement and "library_cases.id IN (" not in statement:
            statements.append((statement, parameters))

    sa.event.listen(session.get_bind(), "before_cursor_execute", record)
    try:
        search.find(session, filters, per_page=PER_PAGE)
    finally:
        sa.event.remove(session.get_bind(), "before_cursor_execute", record)
    return [(" ".join(statement.split())[:60], [row[0] for row in session.connection().exec_driver_sql(
        "EXPLAIN (COSTS OFF) " + statement, parameters)]) for statement, parameters in statements]


def run_queries(label: str, url: str, runs: int) -> list[float]:
    """Time every query, ours then the baseline; print the table; return our medians."""
    engine = create_engine(url)
    medians = []
    with Session(engine) as session, Session(engine) as scan_session:
        if engine.dialect.name == "postgresql":
            # The whole baseline session is one transaction: SET LOCAL never outlives it.
            for setting in ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan"):
                scan_session.connection().exec_driver_sql(f"SET LOCAL {setting} = off")
            version = session.connection().exec_driver_sql("SHOW server_version").scalar()
        else:
            version = session.connection().exec_driver_sql("SELECT sqlite_version()").scalar()
        print(f"\n== {label} {version}: median and p95 of {runs} runs, ms; baseline: LIKE '%q%' scan of search_text")
        print(f"{'query':<26} {'q':<10} {'path':<24} {'hits':>6} {'ours':>7} {'p95':>7} "
              f"{'baseline':>9} {'p95':>7} {'ours/base':>10}")
        plans = []
        for name, q in QUERIES:
            filters = search.Filters(q=q)
            mine, (total, first_page) = timings_ms(ours, session, filters, runs)
            base, (base_total, base_page) = timings_ms(like_scan, scan_session, filters, runs)
            medians.append(statistics.median(mine))
            hits = f"{total}" if total == base_total else f"{total} (baseline {base_total}!)"
            if first_page != base_page:
                hits += " (first page differs from the baseline's!)"
            print(f"{name:<26} {q:<{10 - sum(ord(c) > 0x2e80 for c in q)}} {access_path(session, filters, total):<24} "
                  f"{hits:>6} {statistics.median(mine):>7.2f} {p95(mine):>7.2f} {statistics.median(base):>9.2f} "
                  f"{p95(base):>7.2f} {statistics.median(mine) / statistics.median(base):>10.2f}")
            if engine.dialect.name == "postgresql":
                plans.append((q, postgres_plans(session, filters)))
        for q, statements in plans:
            for statement, plan in statements:
                print(f"\n-- plan of find's {statement!r}… for {q!r}:\n" + "\n".join(plan))
    engine.dispose()
    worst = max(medians)
    print(f"target ≤ {TARGET_MS:g} ms per query (median): {'within' if worst <= TARGET_MS else 'NOT within'} "
          f"(slowest median {worst:.1f} ms)")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--narrow", action="store_true",
                        help="leave problem and solution empty (rows about a quarter as wide as in use)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL") or "",
                        help="a PostgreSQL server URL (default: $BENCH_DATABASE_URL); a database of our own is "
                             "created on that server and dropped afterwards")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}")
    rng = random.Random(20261127)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app({"SHOWCASE_ENV": "development", "SECRET_KEY": "bench-" * 8, "DATABASE_URL": url,
                          "UPLOAD_FOLDER": str(Path(tmp) / "uploads")})
        started = time.perf_counter()
        rows = make_rows(args.cases, rng, details=not args.narrow)
        add_search_text(rows["library"], app)
        lengths = [len(row["summary"]) for row in rows["library"]]
        print(f"generated {args.cases:,} cases (summaries {min(lengths)}–{max(lengths)} characters, "
              f"search text {statistics.mean(len(r['search_text']) for r in rows['library']):.0f} on average) "
              f"in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        seed(url, rows)
        print(f"SQLite: migrated and seeded in {time.perf_counter() - started:.1f} s")
        run_queries("SQLite", url, args.runs)
        if args.postgres:
            with postgres_database(args.postgres) as pg_url:
                started = time.perf_counter()
                seed(pg_url, rows)
                print(f"\nPostgreSQL: database {sa.engine.make_url(pg_url).database} created, migrated and seeded "
                      f"in {time.perf_counter() - started:.1f} s")
                run_queries("PostgreSQL", pg_url, args.runs)
        else:
            print("\n(PostgreSQL skipped: pass --postgres URL or set BENCH_DATABASE_URL)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
