"""The fixed frames of the brochure's pages, in millimetres (font sizes in
points): they mirror app/static/pdf/brochure.css, and the texts are cut to
them (:mod:`app.brochure.fitting`). A scenario is always exactly one page.
"""

PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
BLEED = 3.0  # full-bleed pictures and panels reach this far past the trim
FRAME_WIDTH = 178.0  # a page with margins: 16 mm left and right
FRAME_HEIGHT = 265.0  # 15 mm top, 17 mm bottom (the page number sits there)

MAX_PHOTOS = 3
#: Photo slots (width, height) of a scenario page by the number of photos.
PHOTO_SLOTS: dict[int, tuple[tuple[float, float], ...]] = {
    0: (),
    1: ((178.0, 82.0),),
    2: ((87.0, 82.0), (87.0, 82.0)),
    3: ((116.0, 82.0), (58.0, 39.0), (58.0, 39.0)),
}
COVER_PHOTO = (PAGE_WIDTH + 2 * BLEED, 185.0 + BLEED)  # the cover picture, bleed included

TITLE_WIDTH = FRAME_WIDTH
TITLE_WIDTH_WITH_RANK = 142.0  # the rank badge takes the top right corner
#: Title classes: (class, font size pt, most lines); the first that holds the title wins.
TITLE_CLASSES = (("l", 18.0, 2), ("m", 15.0, 2), ("s", 12.5, 3))
META_WIDTH, META_SIZE = FRAME_WIDTH, 9.0
CAPTION_SIZE = 7.5
CAPTION_PADDING = 6.0  # left and right, inside the photo

TEXT_WIDTH, TEXT_HEIGHT = 114.0, 98.0  # the text column: under the photos, down to the footer
LEAD_SIZE, LEAD_LINE, LEAD_GAP = 10.5, 6.2, 2.5  # the summary: pt, line height mm, gap after
BODY_SIZE, BODY_LINE = 9.5, 5.6
HEADING_HEIGHT = 7.0  # a section heading with its margin
SECTION_GAP = 2.0
PANEL_TEXT_WIDTH, PANEL_TEXT_HEIGHT = 150.0, 52.0  # the summary in the panel of a page without photos
PANEL_SIZE, PANEL_LINE = 12.0, 7.4

FIGURES_WIDTH = 56.0  # the key figures column
MAX_FIGURES = 4
METRIC_SIZE, METRIC_LINES = 8.0, 2
FIGURE_CLASSES = (("l", 20.0, 1), ("m", 16.0, 1), ("s", 12.5, 1))  # the big number: class, pt, lines
CHANGE_SIZE = 7.5

TAGS_WIDTH, TAG_SIZE, TAG_LINES = 116.0, 8.0, 2
DEPLOYMENT_WIDTH = 116.0

OPENER_LIST_WIDTH, OPENER_LIST_SIZE, OPENER_LIST_LINES = 73.0, 8.5, 25

FOREWORD_WIDTH, FOREWORD_SIZE, FOREWORD_LINE, FOREWORD_HEIGHT = FRAME_WIDTH, 11.0, 7.2, 224.0
COVER_TITLE_WIDTH = 170.0
COVER_TITLE_CLASSES = (("l", 28.0, 2), ("m", 22.0, 2), ("s", 18.0, 3))
COVER_SUBTITLE_SIZE, COVER_SUBTITLE_LINES = 13.0, 2
BACK_WIDTH, BACK_SIZE, BACK_LINE, BACK_HEIGHT = 150.0, 10.5, 6.8, 122.0

# Table rows: column widths (mm) at their font sizes (pt).
INDEX_TITLE = (104.0, 9.5)
INDEX_ORGANISATION = (54.0, 8.0)
RANK_TITLE = (56.0, 9.0)  # with a score column; without, RANK_TITLE_WIDE
RANK_TITLE_WIDE = 66.0
RANK_ORGANISATION = (40.0, 8.0)
RANK_CITY = (14.0, 8.0)
RANK_DOMAIN = (21.0, 8.0)
