"""A published results snapshot whose selection fills the public case library,
for the library tests."""
from app.enums import Domain, Phase
from app.models import EntryOutcome
from tests.factories.base import BaseFactories
from tests.factories.results import ScoredCall

TITLES = ["智能质检缺陷检测平台", "基层医疗影像辅助诊断", "港口无人集卡智能调度", "慢病管理随访机器人",
          "钢铁高炉配料优化", "医院导诊服务", "Smart Vision QA Line"]
SUMMARIES = ["缺陷检出率提升至99.5%", "基层医院影像诊断效率提升三倍", "集卡调度效率提升", "智X能随访提醒", "配料成本下降",
             "导诊排队缩短", "Defect detection with computer vision"]


class LibraryFactories(BaseFactories):
    def published_library(self) -> ScoredCall:
        """Seven entries (TITLES, SUMMARIES) in two domains and four cities; a
        published snapshot selects the first five, ranks and scores public.
        Every entry has contact details the library must never show."""
        scored = self.scored_call(
            totals=[[95, 94, 96], [90, 91, 89], [85, 86, 84], [80, 81, 79], [75, 76, 74], [60, 61, 59], [70, 71, 69]],
            domains=[Domain.MANUFACTURING, Domain.HEALTHCARE, Domain.MANUFACTURING, Domain.HEALTHCARE,
                     Domain.MANUFACTURING, Domain.HEALTHCARE, Domain.MANUFACTURING],
            cities=["440300", "440100", "440300", "440600", "440100", "440300", "440400"],
            open_phase=Phase.RESULTS, target_count=5,
        )
        for index, entry in enumerate(scored.entries):
            entry.title = TITLES[index]
            entry.summary = SUMMARIES[index]
            entry.tech_tags = ["computer_vision"] if index in (0, 6) else ["large_models"]
            entry.contact_email = f"secret{index}@example.com"
            entry.contact_phone = "13800000000"
            entry.outcomes = [EntryOutcome(position=0, metric="检出率", before=92.0, after=99.5, unit="%")]
            self.session.add(entry)
        self.session.commit()
        scored.publish(public_scores=True)
        return scored
