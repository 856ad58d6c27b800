"""Reference data of the call: Guangdong's 21 cities, and the labels of the
technology tags (the domains and the technology vocabulary are enums, in
:mod:`app.enums`)."""
from app.enums import Technology
from app.i18n import lazy_gettext as _l

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


def technology_label(tag: str):
    """A vocabulary tag's translated label; a free tag as typed."""
    try:
        return Technology(tag).label
    except ValueError:
        return tag

