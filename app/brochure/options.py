"""What a brochure build is asked to make: the choices publicity staff make
on the brochure page (or the command line), as one plain value."""
from dataclasses import asdict, dataclass, field
from typing import Any

ORDERS = ("domain", "city")


@dataclass(frozen=True)
class Profile:
    """How images are prepared and the page is trimmed."""

    key: str
    dpi: int
    bleed_mm: float


PROFILES = {
    "screen": Profile("screen", dpi=150, bleed_mm=0.0),  # small file to share
    "print": Profile("print", dpi=300, bleed_mm=3.0),  # bleed-ready A4
}


@dataclass(frozen=True)
class BuildOptions:
    """A brochure's content and form.

    ``snapshot_id`` None: the call's latest published snapshot.
    ``entry_ids``: a hand-picked list, in this order (None: the snapshot's
    selection). ``cover_key``: a stored image blob for the cover (None: the
    first scenario's photo).
    """

    call_id: int
    snapshot_id: int | None = None
    entry_ids: tuple[int, ...] | None = None
    order: str = "domain"
    title: str = ""
    subtitle: str = ""
    year: int | None = None
    foreword: str = ""
    back_text: str = ""
    cover_key: str | None = None
    profile: str = "screen"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.order not in ORDERS:
            raise ValueError(f"unknown order {self.order!r}")
        if self.profile not in PROFILES:
            raise ValueError(f"unknown profile {self.profile!r}")

    @property
    def profile_settings(self) -> Profile:
        return PROFILES[self.profile]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON (stored with a build)."""
        data = asdict(self)
        data["entry_ids"] = list(self.entry_ids) if self.entry_ids is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BuildOptions":
        values = dict(data)
        if values.get("entry_ids") is not None:
            values["entry_ids"] = tuple(values["entry_ids"])
        return cls(**values)
