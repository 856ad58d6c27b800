"""Reference data of the call: the eight domains and Guangdong's 21 cities."""
from app.enums import LabelledEnum
from app.i18n import lazy_gettext as _l


class Domain(LabelledEnum):
    MANUFACTURING = "manufacturing"
    GOVERNMENT = "government"
    CITY = "city"
    HEALTHCARE = "healthcare"
    EDUCATION = "education"
    FINANCE = "finance"
    SECURITY = "security"
    UNMANNED = "unmanned"


Domain._labels = {
    Domain.MANUFACTURING: _l("Smart manufacturing"),
    Domain.GOVERNMENT: _l("Smart government services"),
    Domain.CITY: _l("Smart city"),
    Domain.HEALTHCARE: _l("Smart healthcare"),
    Domain.EDUCATION: _l("Smart education"),
    Domain.FINANCE: _l("Smart finance"),
    Domain.SECURITY: _l("Smart public security"),
    Domain.UNMANNED: _l("Intelligent unmanned systems"),
}

# GB/T 2260 code → (Chinese name, translatable label). The Chinese name is
# kept for data exchange; the label is what the UI shows.
CITIES: dict[str, tuple[str, object]] = {
    "440100": ("广州", _l("Guangzhou")),
    "440200": ("韶关", _l("Shaoguan")),
    "440300": ("深圳", _l("Shenzhen")),
    "440400": ("珠海", _l("Zhuhai")),
    "440500": ("汕头", _l("Shantou")),
    "440600": ("佛山", _l("Foshan")),
    "440700": ("江门", _l("Jiangmen")),
    "440800": ("湛江", _l("Zhanjiang")),
    "440900": ("茂名", _l("Maoming")),
    "441200": ("肇庆", _l("Zhaoqing")),
    "441300": ("惠州", _l("Huizhou")),
    "441400": ("梅州", _l("Meizhou")),
    "441500": ("汕尾", _l("Shanwei")),
    "441600": ("河源", _l("Heyuan")),
    "441700": ("阳江", _l("Yangjiang")),
    "441800": ("清远", _l("Qingyuan")),
    "441900": ("东莞", _l("Dongguan")),
    "442000": ("中山", _l("Zhongshan")),
    "445100": ("潮州", _l("Chaozhou")),
    "445200": ("揭阳", _l("Jieyang")),
    "445300": ("云浮", _l("Yunfu")),
}


def city_label(code: str):
    """The translated name of a city code; the code itself if unknown."""
    entry = CITIES.get(code)
    return entry[1] if entry else code


class Technology(LabelledEnum):
    """The fixed vocabulary of AI technologies; entries may add free tags too."""

    COMPUTER_VISION = "computer_vision"
    NLP = "nlp"
    LARGE_MODELS = "large_models"
    KNOWLEDGE_GRAPHS = "knowledge_graphs"
    ROBOTICS = "robotics"
    SPEECH = "speech"
    MACHINE_LEARNING = "machine_learning"
    MULTIMODAL = "multimodal"
    DIGITAL_TWIN = "digital_twin"
    AUTONOMOUS_SYSTEMS = "autonomous_systems"
    EDGE_AI = "edge_ai"
    RECOMMENDATION = "recommendation"


Technology._labels = {
    Technology.COMPUTER_VISION: _l("Computer vision"),
    Technology.NLP: _l("Natural language processing"),
    Technology.LARGE_MODELS: _l("Large models"),
    Technology.KNOWLEDGE_GRAPHS: _l("Knowledge graphs"),
    Technology.ROBOTICS: _l("Robotics"),
    Technology.SPEECH: _l("Speech recognition and synthesis"),
    Technology.MACHINE_LEARNING: _l("Machine learning and prediction"),
    Technology.MULTIMODAL: _l("Multimodal AI"),
    Technology.DIGITAL_TWIN: _l("Digital twins"),
    Technology.AUTONOMOUS_SYSTEMS: _l("Autonomous driving and navigation"),
    Technology.EDGE_AI: _l("Edge AI"),
    Technology.RECOMMENDATION: _l("Recommendation and search"),
}


def technology_label(tag: str):
    """A vocabulary tag's translated label; a free tag as typed."""
    try:
        return Technology(tag).label
    except ValueError:
        return tag
