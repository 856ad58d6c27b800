"""The scenario page's key figures and technology line: texts cut to their
frames in the brochure's language, the unit with the metric, no label split
across lines."""
import pytest
from flask_babel import force_locale

from app.brochure.content import TAG_SEPARATOR, metric_label, outcome_figure, tag_lines
from app.brochure.fitting import ELLIPSIS, SAFETY_EM, em_width, line_count, text_em
from app.brochure.frames import FIGURES_WIDTH, METRIC_LINES, METRIC_SIZE, TAG_LINES, TAG_SIZE, TAGS_WIDTH
from app.models import EntryOutcome
from app.reference import technology_label


@pytest.fixture
def chinese(app):
    with app.test_request_context(), force_locale("zh"):
        yield


def _metric_fits(text: str) -> bool:
    return line_count(text, width_mm=FIGURES_WIDTH, size_pt=METRIC_SIZE) <= METRIC_LINES


def test_the_unit_goes_with_the_metric_and_the_value_stands_alone(chinese):
    figure = outcome_figure(EntryOutcome(position=0, metric="日处理量", before=6468.4, after=25301.4, unit="件/天"))
    assert (figure.metric, figure.value, figure.change, figure.size) == ("日处理量（件/天）", "25,301.4",
                                                                         "6,468.4 → 25,301.4", "l")
    no_unit = outcome_figure(EntryOutcome(position=0, metric="覆盖站点", before=None, after=15, unit=""))
    assert (no_unit.metric, no_unit.value, no_unit.change) == ("覆盖站点", "15", "新增能力")


def test_a_long_value_takes_a_smaller_size_never_cut(chinese):
    sizes = [outcome_figure(EntryOutcome(position=0, metric="产值", after=after, unit="元"))
             for after in (25301.4, 1234567890.5, 123456789012345.5)]
    assert [(figure.size, figure.value) for figure in sizes] == [
        ("l", "25,301.4"), ("m", "1,234,567,890.5"), ("s", "123,456,789,012,345.5")]


def test_a_long_metric_gives_way_before_its_unit(chinese):
    metric = "面向装备制造的行业大模型与数字孪生融合的全生命周期智能运维平台的平均故障处理时长"
    label = metric_label(metric, "分钟")
    head = label.removesuffix(f"{ELLIPSIS}（分钟）")
    assert label.endswith(f"{ELLIPSIS}（分钟）") and metric.startswith(head) and _metric_fits(label)
    # As much of the metric as fits: one character more would not.
    assert not _metric_fits(metric[:len(head) + 1] + f"{ELLIPSIS}（分钟）")
    # Never cut right after an opening bracket or a comma.
    bracketed = metric_label("设备综合效率含计划停机换型待料质检返工能源中断时间的月度平均值统计（口径说明", "%")
    assert bracketed == f"设备综合效率含计划停机换型待料质检返工能源中断时间的月度平均值统计{ELLIPSIS}（%）"
    # A unit longer than the frame is cut like any text.
    unit = "千瓦时每吨标准煤当量" * 6
    assert _metric_fits(metric_label("能耗", unit)) and metric_label("能耗", unit).endswith(ELLIPSIS)


def test_the_metric_and_unit_are_bracketed_in_the_brochures_language(app):
    with app.test_request_context(), force_locale("en"):
        assert metric_label("Energy use", "kWh/t") == "Energy use (kWh/t)"


def test_technology_labels_fill_two_lines_whole_then_end_in_an_ellipsis(chinese):
    tags = ["computer_vision", "large_models", "speech", "knowledge_graphs", "robotics", "edge_ai", "multimodal",
            "digital_twin", "autonomous_systems", "自主研发的工业质检专用推理加速引擎", "联邦学习", "隐私计算", "数字人"]
    lines = tag_lines(tags)
    labels = [label for line in lines for label in line.split(TAG_SEPARATOR)]
    assert len(lines) == TAG_LINES and labels[-1] == ELLIPSIS
    # Every label whole, in order, and every line within the frame.
    assert labels[:-1] == [str(technology_label(tag)) for tag in tags][:len(labels) - 1]
    assert all(text_em(line) <= em_width(TAGS_WIDTH, TAG_SIZE) - SAFETY_EM for line in lines)
    # The next label would not have fitted on the last line beside the "…".
    following = str(technology_label(tags[len(labels) - 1]))
    last = lines[-1].removesuffix(TAG_SEPARATOR + ELLIPSIS)
    assert text_em(last + TAG_SEPARATOR + following + TAG_SEPARATOR + ELLIPSIS) > em_width(TAGS_WIDTH, TAG_SIZE) - SAFETY_EM


def test_a_few_technology_labels_make_one_line(chinese):
    assert tag_lines(["computer_vision", "边缘计算"]) == (f"{technology_label('computer_vision')} · 边缘计算",)
    assert tag_lines([]) == ()
