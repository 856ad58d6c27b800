"""The demo's public notice: last year's call put its proposed list up for
public notice; three objections came in — one upheld (the entry withdrawn,
the next one moved up), two dismissed — and the official list followed.
"""
from datetime import datetime, timedelta

from sqlmodel import Session

from app.demo.history import History
from app.demo.review import day_of, office_time
from app.models import Call, ResultRun, User
from app.notices import objections, services

CONTACT = "广东省工业和信息化厅人工智能处\n联系电话：020-83133000\n电子邮箱：ai-gongshi@gdii.example.gov.cn"
#: (objector, organisation, grounds, upheld, decision reason), one per objection, in filing order.
OBJECTIONS = (
    ("林志明", "", "该场景申报材料称已在全市 120 家企业部署，但据了解实际仅在 3 家企业试点运行，部署规模与申报不符。",
     True, "经调阅验收报告并向部署单位核实，该场景实际部署 3 家，与申报的 120 家严重不符，异议成立，该场景退出名单。"),
    ("陈晓燕", "某科技有限公司", "该场景使用的核心算法与我公司已公开的专利方案高度相似，怀疑存在知识产权问题。",
     False, "经核查，该场景所用算法为申报单位自主研发，已取得软件著作权登记，与所述专利技术路线不同，异议不成立。"),
    ("", "", "该单位去年曾因数据安全问题被通报，不宜入选示范名单。",
     False, "经向网信部门核实，该单位未受过数据安全方面的通报或处罚，异议不成立。"),
)


def publish_with_notice(session: Session, *, call: Call, run: ResultRun, chair: User, published: datetime,
                        history: History) -> ResultRun:
    """Publish ``run`` as the proposed list of a 5-working-day notice, file and
    decide the three objections, then publish the official list the day after
    the period ended; returns the official run."""
    call.notice_required, call.notice_days, call.notice_working_days = True, 5, True
    call.notice_contact, call.objections_anonymous = CONTACT, True
    session.add(call)
    history.now = published
    notice, _period = services.publish_proposed(session, run=run, actor=chair, now=published, public_scores=True)
    listed = [item.row for item in services.standing(session, notice=notice) if item.on_list]
    # The objections concern the 2nd, 5th and 9th entry of the list.
    targets = [listed[index] for index in (1, 4, 8) if index < len(listed)]
    filed = []
    for number, (row, (name, organisation, grounds, _upheld, _reason)) in enumerate(zip(targets, OBJECTIONS)):
        at = office_time(day_of(published) + timedelta(days=1 + number), 0.3 + 0.1 * number)
        history.now = at
        filed.append(objections.file_objection(
            session, notice=notice, entry_id=row.entry_id, name=name, phone="13800000000" if name else "",
            email=f"objector{number + 1}@example.com" if name else "", organisation=organisation, grounds=grounds,
            anonymous=not name, files=[], language="zh", address=None, now=at))
    decided = office_time(day_of(notice.ends_at) + timedelta(days=1), 0.2)
    for number, (objection, (_name, _organisation, _grounds, upheld, reason)) in enumerate(zip(filed, OBJECTIONS)):
        history.now = decided + timedelta(minutes=20 * number)
        objections.assign(session, objection=objection, assignee=chair, actor=chair, now=history.now)
        objections.decide(session, objection=objection, upheld=upheld, reason=reason, actor=chair, now=history.now)
    official_at = decided + timedelta(hours=2)
    history.now = official_at
    return services.publish_official(session, notice=notice, actor=chair, now=official_at)

