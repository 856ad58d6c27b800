"""Drawing primitives for the demo photos: a supersampled canvas, interiors,
skylines, people, vehicles, robots and screen panels (charts, maps, video
walls, medical images, …), all in 1200 × 800 logical pixels."""
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1200, 800
_SUPERSAMPLE = 2

RGB = tuple[int, int, int]


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class Palette:
    sky: RGB  # top of the background
    ground: RGB  # floor or land
    wall: RGB
    accent: RGB  # the domain's signature colour
    accent2: RGB
    dark: RGB  # screens, silhouettes
    light: RGB  # surfaces


class Canvas:
    """A picture under construction, in 1200 × 800 logical pixels."""

    def __init__(self, rng: random.Random, palette: Palette):
        self.rng, self.pal = rng, palette
        self.k = _SUPERSAMPLE
        self.image = Image.new("RGB", (WIDTH * self.k, HEIGHT * self.k), palette.sky)
        self.draw = ImageDraw.Draw(self.image)

    def _s(self, values):
        return [round(v * self.k) for v in values]

    def rect(self, box, fill, radius=0, outline=None, width=0):
        self.draw.rounded_rectangle(self._s(box), radius=radius * self.k, fill=fill, outline=outline, width=width * self.k)

    def ellipse(self, box, fill=None, outline=None, width=0):
        self.draw.ellipse(self._s(box), fill=fill, outline=outline, width=width * self.k)

    def polygon(self, points, fill):
        self.draw.polygon([(x * self.k, y * self.k) for x, y in points], fill=fill)

    def line(self, points, fill, width=2):
        self.draw.line([(x * self.k, y * self.k) for x, y in points], fill=fill, width=max(1, round(width * self.k)), joint="curve")

    def gradient(self, box, top: RGB, bottom: RGB, horizontal=False):
        x0, y0, x1, y1 = self._s(box)
        if x1 <= x0 or y1 <= y0:
            return
        steps = (x1 - x0) if horizontal else (y1 - y0)
        strip = Image.new("RGB", (steps, 1) if horizontal else (1, steps))
        strip.putdata([mix(top, bottom, i / max(1, steps - 1)) for i in range(steps)])
        self.image.paste(strip.resize((x1 - x0, y1 - y0), Image.Resampling.NEAREST), (x0, y0))

    def glow(self, shape: str, coords, colour: RGB, alpha: int, blur: float = 0):
        """A translucent shape ("ellipse" or "polygon"), optionally blurred (light cones, halos)."""
        points = [(coords[0], coords[1]), (coords[2], coords[3])] if shape == "ellipse" else coords
        margin = 3 * blur + 2
        left = max(0, int(min(x for x, _ in points) - margin))
        top = max(0, int(min(y for _, y in points) - margin))
        right = min(WIDTH, int(max(x for x, _ in points) + margin))
        bottom = min(HEIGHT, int(max(y for _, y in points) + margin))
        mask = Image.new("L", (right - left, bottom - top), 0)
        pen = ImageDraw.Draw(mask)
        shifted = [(x - left, y - top) for x, y in points]
        if shape == "ellipse":
            pen.ellipse(shifted, fill=alpha)
        else:
            pen.polygon(shifted, fill=alpha)
        if blur:
            mask = mask.filter(ImageFilter.GaussianBlur(blur))
        mask = mask.resize((mask.width * self.k, mask.height * self.k), Image.Resampling.BILINEAR)
        self.image.paste(Image.new("RGB", mask.size, colour), (left * self.k, top * self.k), mask)

    def finish(self) -> Image.Image:
        return self.image.reduce(self.k)


# --- building blocks --------------------------------------------------------------

def room(c: Canvas, *, back=(300, 120, 900, 470), wall=None, floor=None, ceiling=None):
    """A one-point-perspective interior; returns the back wall box."""
    wall = wall or c.pal.wall
    floor = floor or c.pal.ground
    x0, y0, x1, y1 = back
    c.gradient((0, 0, WIDTH, y0 + 1), mix(wall, (255, 255, 255), 0.35), wall)
    c.polygon([(0, 0), (x0, y0), (x0, y1), (0, HEIGHT)], mix(wall, (0, 0, 0), 0.08))
    c.polygon([(WIDTH, 0), (x1, y0), (x1, y1), (WIDTH, HEIGHT)], mix(wall, (0, 0, 0), 0.14))
    c.polygon([(0, 0), (WIDTH, 0), (x1, y0), (x0, y0)], ceiling or mix(wall, (255, 255, 255), 0.5))
    c.gradient((x0, y0, x1, y1), mix(wall, (255, 255, 255), 0.2), wall)
    c.polygon([(x0, y1), (x1, y1), (WIDTH, HEIGHT), (0, HEIGHT)], floor)
    tiles = 10  # floor joints: towards the vanishing point, and across the floor only
    for k in range(1, tiles):
        c.line([(x0 + k * (x1 - x0) / tiles, y1), (k * WIDTH / tiles, HEIGHT)], mix(floor, (0, 0, 0), 0.07), 1.5)
    for t in (0.12, 0.3, 0.55, 0.85):
        y = y1 + (HEIGHT - y1) * t
        c.line([(x0 * (1 - t), y), (x1 + (WIDTH - x1) * t, y)], mix(floor, (0, 0, 0), 0.06), 1.5)
    for i in range(4):  # ceiling lights
        t = 0.25 + i * 0.2
        cx = WIDTH / 2
        width = 60 + 200 * t
        y = y0 - (y0 - 12) * t
        c.rect((cx - width / 2, y - 4 - 4 * t, cx + width / 2, y + 4 + 4 * t), (255, 252, 236), radius=4)
    return back


def depth(back, t: float):
    """Floor line y and scale at depth t (0 = back wall, 1 = front edge)."""
    y1 = back[3]
    return y1 + (HEIGHT - y1) * t, 0.45 + 0.75 * t


def sky_and_ground(c: Canvas, horizon: float, *, sky_top=None, ground=None):
    c.gradient((0, 0, WIDTH, horizon), sky_top or c.pal.sky, mix(c.pal.sky, (255, 255, 255), 0.55))
    c.gradient((0, horizon, WIDTH, HEIGHT), ground or c.pal.ground, mix(ground or c.pal.ground, (0, 0, 0), 0.25))


def clouds(c: Canvas, count: int, top: float, bottom: float):
    for _ in range(count):
        x, y, w = c.rng.uniform(0, WIDTH), c.rng.uniform(top, bottom), c.rng.uniform(90, 200)
        for dx, dy, r in ((0, 0, 0.5), (0.3, -0.15, 0.4), (0.6, 0, 0.45), (-0.25, 0.05, 0.35)):
            rr = w * r / 2
            c.ellipse((x + dx * w - rr, y + dy * w - rr * 0.7, x + dx * w + rr, y + dy * w + rr * 0.7), fill=(250, 252, 255))


def skyline(c: Canvas, base: float, *, count=14, tall=(120, 330), colour=None, windows=True, lit=None):
    rng = c.rng
    x = -20
    colour = colour or mix(c.pal.wall, c.pal.dark, 0.35)
    while x < WIDTH:
        w = rng.uniform(55, 130)
        h = rng.uniform(*tall)
        shade = mix(colour, (255, 255, 255), rng.uniform(0, 0.25))
        c.rect((x, base - h, x + w, base), shade)
        if rng.random() < 0.3:
            c.rect((x + w * 0.4, base - h - 30, x + w * 0.45, base - h), shade)
        if windows:
            pane = lit or mix(shade, (255, 255, 255), 0.35)
            for wy in range(int(base - h + 14), int(base - 10), 18):
                for wx in range(int(x + 8), int(x + w - 12), 14):
                    if rng.random() < 0.75:
                        c.rect((wx, wy, wx + 7, wy + 9), pane)
        x += w + rng.uniform(2, 14)


def tree(c: Canvas, x, base, size=1.0, colour=(70, 150, 90)):
    c.rect((x - 4 * size, base - 40 * size, x + 4 * size, base), (110, 84, 60))
    c.ellipse((x - 28 * size, base - 95 * size, x + 28 * size, base - 30 * size), fill=colour)
    c.ellipse((x - 18 * size, base - 110 * size, x + 22 * size, base - 60 * size), fill=mix(colour, (255, 255, 255), 0.15))


def person(c: Canvas, x, base, size=1.0, colour=None, back=False):
    colour = colour or c.rng.choice([(60, 90, 140), (90, 100, 110), (150, 70, 70), (70, 120, 110), (200, 200, 205), (60, 60, 70)])
    h = 150 * size
    c.rect((x - 22 * size, base - h * 0.76, x + 22 * size, base - h * 0.05), colour, radius=14 * size)
    c.rect((x - 6 * size, base - h * 0.8, x + 6 * size, base - h * 0.72), (40, 40, 48) if back else (226, 190, 160))
    c.rect((x - 16 * size, base - h * 0.2, x + 16 * size, base), mix(colour, (0, 0, 0), 0.35), radius=6 * size)
    skin = (40, 40, 48) if back else (236, 200, 170)
    c.ellipse((x - 15 * size, base - h, x + 15 * size, base - h * 0.78), fill=skin)
    c.ellipse((x - 16 * size, base - h - 3 * size, x + 16 * size, base - h * 0.86), fill=(40, 40, 48))


def car(c: Canvas, x, base, size=1.0, colour=None, box=None):
    colour = colour or c.rng.choice([(220, 60, 60), (240, 240, 240), (60, 90, 160), (40, 44, 52), (230, 180, 50), (140, 150, 160)])
    w, h = 150 * size, 48 * size
    c.rect((x + w * 0.2, base - h * 1.55, x + w * 0.78, base - h * 0.8), mix(colour, (0, 0, 0), 0.1), radius=12 * size)
    c.rect((x + w * 0.27, base - h * 1.42, x + w * 0.72, base - h * 0.9), (170, 200, 225), radius=6 * size)
    c.rect((x, base - h, x + w, base - h * 0.25), colour, radius=12 * size)
    for wx in (0.22, 0.78):
        c.ellipse((x + w * wx - 15 * size, base - h * 0.55, x + w * wx + 15 * size, base), fill=(30, 30, 34))
    if box:
        detection(c, (x - 6, base - h * 1.7, x + w + 6, base + 4), box)


def detection(c: Canvas, box, colour):
    """A computer-vision bounding box with a label bar."""
    x0, y0, x1, _y1 = box
    c.rect(box, None, outline=colour, width=3)
    c.rect((x0, y0 - 16, x0 + min(80, (x1 - x0) * 0.8), y0), colour)


def screen(c: Canvas, box, content: str, *, bezel=None, stand=False):
    x0, y0, x1, y1 = box
    if stand:
        cx = (x0 + x1) / 2
        c.rect((cx - 10, y1, cx + 10, y1 + 40), (90, 96, 104))
        c.rect((cx - 50, y1 + 36, cx + 50, y1 + 46), (90, 96, 104), radius=4)
    c.rect((x0 - 8, y0 - 8, x1 + 8, y1 + 8), bezel or (30, 34, 40), radius=8)
    PANELS[content](c, box)


def _panel_background(c, box, colour=(16, 28, 52)):
    c.gradient(box, mix(colour, (255, 255, 255), 0.08), colour)


def chart_panel(c: Canvas, box):
    rng, pal = c.rng, c.pal
    x0, y0, x1, y1 = box
    _panel_background(c, box)
    w, h = x1 - x0, y1 - y0
    pad = max(8, w * 0.04)
    c.rect((x0 + pad, y0 + pad, x0 + w * 0.3, y0 + pad + h * 0.05), (80, 110, 150))
    # line chart on the left two thirds, bars below, a donut on the right
    lx0, ly0, lx1, ly1 = x0 + pad, y0 + h * 0.18, x0 + w * 0.64, y0 + h * 0.56
    for i in range(5):
        y = ly0 + (ly1 - ly0) * i / 4
        c.line([(lx0, y), (lx1, y)], (40, 58, 90), 1)
    for colour, level in ((pal.accent, 0.45), (pal.accent2, 0.7)):
        points, value = [], level
        for i in range(14):
            value = min(0.95, max(0.05, value + rng.uniform(-0.13, 0.12) - (0.02 if colour == pal.accent else -0.01)))
            points.append((lx0 + (lx1 - lx0) * i / 13, ly0 + (ly1 - ly0) * value))
        c.line(points, colour, 3)
    bx0, by1 = x0 + pad, y1 - pad
    bars = 9
    step = (w * 0.64 - pad) / bars
    for i in range(bars):
        bh = (h * 0.3) * rng.uniform(0.25, 1)
        c.rect((bx0 + i * step + step * 0.2, by1 - bh, bx0 + (i + 1) * step - step * 0.2, by1), mix(pal.accent2, (255, 255, 255), 0.15 * (i % 3)))
    cx, cy, r = x0 + w * 0.82, y0 + h * 0.36, min(w * 0.13, h * 0.22)
    start = -90
    for share, colour in zip((0.45, 0.3, 0.25), (pal.accent, pal.accent2, (120, 140, 170)), strict=True):
        end = start + 360 * share
        c.draw.pieslice(c._s((cx - r, cy - r, cx + r, cy + r)), start, end, fill=colour)
        start = end
    c.ellipse((cx - r * 0.55, cy - r * 0.55, cx + r * 0.55, cy + r * 0.55), fill=(20, 34, 60))
    for i in range(3):
        y = y0 + h * (0.66 + i * 0.1)
        c.rect((x0 + w * 0.7, y, x0 + w * 0.7 + w * 0.25 * rng.uniform(0.5, 1), y + h * 0.04), (60, 84, 120))


def map_panel(c: Canvas, box):
    rng, pal = c.rng, c.pal
    x0, y0, x1, y1 = box
    _panel_background(c, box, (12, 30, 48))
    w, h = x1 - x0, y1 - y0
    cx, cy = x0 + w * 0.45, y0 + h * 0.52
    points = []
    for i in range(24):
        angle = 2 * math.pi * i / 24
        radius = rng.uniform(0.3, 0.42)
        points.append((cx + math.cos(angle) * w * radius, cy + math.sin(angle) * h * radius * 1.1))
    c.polygon(points, (28, 70, 96))
    for _ in range(9):  # districts
        px, py = cx + rng.uniform(-0.25, 0.25) * w, cy + rng.uniform(-0.25, 0.25) * h
        c.line([(px, py), (px + rng.uniform(-80, 80), py + rng.uniform(-60, 60))], (60, 120, 150), 2)
    for _ in range(26):
        px, py = cx + rng.uniform(-0.3, 0.3) * w, cy + rng.uniform(-0.3, 0.3) * h
        r = rng.uniform(3, 8)
        colour = pal.accent if rng.random() < 0.7 else pal.accent2
        c.ellipse((px - r, py - r, px + r, py + r), fill=colour)
    for i in range(4):
        y = y0 + h * (0.12 + i * 0.2)
        c.rect((x0 + w * 0.8, y, x1 - w * 0.03, y + h * 0.14), (24, 48, 76), radius=4)
        c.rect((x0 + w * 0.82, y + h * 0.08, x0 + w * 0.82 + w * 0.13 * rng.uniform(0.3, 1), y + h * 0.11), pal.accent)


def video_panel(c: Canvas, box):
    """A grid of camera feeds with detection boxes."""
    rng, pal = c.rng, c.pal
    x0, y0, x1, y1 = box
    c.rect(box, (8, 10, 16))
    cols, rows = (3, 2) if (x1 - x0) < 500 else (4, 3)
    gap = 4
    cw, ch = (x1 - x0 - gap * (cols + 1)) / cols, (y1 - y0 - gap * (rows + 1)) / rows
    for r in range(rows):
        for col in range(cols):
            fx, fy = x0 + gap + col * (cw + gap), y0 + gap + r * (ch + gap)
            tone = rng.choice([(70, 80, 90), (90, 96, 86), (60, 70, 86), (100, 100, 104)])
            c.gradient((fx, fy, fx + cw, fy + ch), mix(tone, (255, 255, 255), 0.25), mix(tone, (0, 0, 0), 0.2))
            horizon = fy + ch * rng.uniform(0.35, 0.55)
            bx = fx
            while bx < fx + cw - 10:
                bw = rng.uniform(cw * 0.1, cw * 0.25)
                c.rect((bx, horizon - rng.uniform(0.1, 0.3) * ch, min(bx + bw, fx + cw), horizon), mix(tone, (0, 0, 0), 0.3))
                bx += bw + 3
            c.polygon([(fx + cw * 0.4, horizon), (fx + cw * 0.6, horizon), (fx + cw, fy + ch), (fx, fy + ch)], mix(tone, (0, 0, 0), 0.15))
            for _ in range(rng.randint(1, 3)):
                px, ph = fx + rng.uniform(0.1, 0.85) * cw, ch * rng.uniform(0.18, 0.3)
                py = horizon + rng.uniform(0.1, 0.45) * ch
                c.rect((px, py - ph, px + ph * 0.35, py), (40, 44, 50), radius=3)
                colour = pal.accent if rng.random() < 0.75 else pal.accent2
                c.rect((px - 3, py - ph - 3, px + ph * 0.35 + 3, py + 3), None, outline=colour, width=2)


def scan_panel(c: Canvas, box):
    """Medical images: grey cross-sections with a highlighted finding."""
    rng, pal = c.rng, c.pal
    x0, y0, x1, y1 = box
    c.rect(box, (6, 8, 10))
    w, h = x1 - x0, y1 - y0
    cells = [(x0, y0, x0 + w * 0.62, y1), (x0 + w * 0.63, y0, x1, y0 + h * 0.49), (x0 + w * 0.63, y0 + h * 0.51, x1, y1)]
    for i, (a, b, cc, d) in enumerate(cells):
        cx, cy = (a + cc) / 2, (b + d) / 2
        rx, ry = (cc - a) * 0.4, (d - b) * 0.4
        c.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(150, 150, 150))
        c.ellipse((cx - rx * 0.9, cy - ry * 0.88, cx + rx * 0.9, cy + ry * 0.9), fill=(95, 95, 98))
        for side in (-1, 1):  # two lobes
            c.ellipse((cx + side * rx * 0.5 - rx * 0.32, cy - ry * 0.6, cx + side * rx * 0.5 + rx * 0.32, cy + ry * 0.6), fill=(40, 40, 44))
        c.ellipse((cx - rx * 0.12, cy - ry * 0.3, cx + rx * 0.12, cy + ry * 0.4), fill=(200, 200, 200))
        if i == 0:
            fx, fy = cx + rx * rng.choice((-0.5, 0.5)), cy + ry * rng.uniform(-0.3, 0.2)
            c.ellipse((fx - 8, fy - 8, fx + 8, fy + 8), fill=(210, 210, 210))
            c.rect((fx - 26, fy - 26, fx + 26, fy + 26), None, outline=pal.accent2 if pal.accent2 != (70, 130, 210) else (240, 80, 70), width=3)


def ecg_panel(c: Canvas, box):
    rng, pal = c.rng, c.pal
    x0, y0, x1, y1 = box
    _panel_background(c, box, (8, 20, 24))
    h = y1 - y0
    for lane, colour in enumerate(((60, 230, 120), pal.accent, (240, 200, 80))):
        base = y0 + h * (0.2 + lane * 0.28)
        points, x = [], x0 + 10
        while x < x1 - 10:
            phase = (x - x0) % 110
            if 40 < phase < 46:
                y = base - h * 0.12
            elif 46 <= phase < 52:
                y = base + h * 0.05
            elif 70 < phase < 85 and lane != 1:
                y = base - h * 0.03
            else:
                y = base + rng.uniform(-1.5, 1.5)
            points.append((x, y))
            x += 3
        c.line(points, colour, 2)


def tiles_panel(c: Canvas, box):
    """An app or service menu: a header, tiles, a progress list."""
    rng, pal = c.rng, c.pal
    x0, y0, x1, y1 = box
    c.rect(box, (246, 248, 251))
    w, h = x1 - x0, y1 - y0
    c.rect((x0, y0, x1, y0 + h * 0.14), pal.accent)
    cols = 3 if w < h * 1.2 else 4
    tile = (w - 10 * (cols + 1)) / cols
    for i in range(cols * 2):
        tx, ty = x0 + 10 + (i % cols) * (tile + 10), y0 + h * 0.19 + (i // cols) * (min(tile, h * 0.22) + 10)
        th = min(tile, h * 0.22)
        colour = rng.choice([pal.accent, pal.accent2, (110, 170, 230), (120, 200, 160), (240, 170, 90)])
        c.rect((tx, ty, tx + tile, ty + th), mix(colour, (255, 255, 255), 0.75), radius=8)
        c.ellipse((tx + tile / 2 - th * 0.2, ty + th * 0.18, tx + tile / 2 + th * 0.2, ty + th * 0.58), fill=colour)
        c.rect((tx + tile * 0.25, ty + th * 0.7, tx + tile * 0.75, ty + th * 0.8), (150, 160, 170))
    top = y0 + h * 0.19 + 2 * (min(tile, h * 0.22) + 10) + 6
    while top + 26 < y1:
        c.rect((x0 + 12, top, x1 - 12, top + 20), (230, 234, 240), radius=4)
        c.rect((x0 + 12, top, x0 + 12 + (w - 24) * rng.uniform(0.2, 0.95), top + 20), mix(pal.accent2, (255, 255, 255), 0.3), radius=4)
        top += 30


def document_panel(c: Canvas, box):
    """A form being read by AI: text lines with highlighted fields."""
    rng, pal = c.rng, c.pal
    x0, y0, x1, y1 = box
    c.rect(box, (236, 240, 246))
    w, h = x1 - x0, y1 - y0
    page = (x0 + w * 0.05, y0 + h * 0.06, x0 + w * 0.55, y1 - h * 0.06)
    c.rect(page, (255, 255, 255))
    y = page[1] + 18
    while y < page[3] - 16:
        length = rng.uniform(0.5, 0.9) * (page[2] - page[0] - 30)
        c.rect((page[0] + 15, y, page[0] + 15 + length, y + 7), (180, 186, 196))
        if rng.random() < 0.18:
            c.rect((page[0] + 12, y - 4, page[0] + 18 + length * 0.5, y + 11), None, outline=pal.accent, width=2)
        y += 20
    for i in range(5):
        fy = y0 + h * (0.08 + i * 0.17)
        c.rect((x0 + w * 0.6, fy, x1 - w * 0.04, fy + h * 0.13), (255, 255, 255), radius=6)
        c.rect((x0 + w * 0.62, fy + h * 0.03, x0 + w * 0.72, fy + h * 0.05), (150, 160, 172))
        c.rect((x0 + w * 0.62, fy + h * 0.07, x0 + w * (0.68 + 0.22 * rng.random()), fy + h * 0.1), mix(pal.accent2, (255, 255, 255), 0.2))
        c.ellipse((x1 - w * 0.09, fy + h * 0.04, x1 - w * 0.06, fy + h * 0.04 + w * 0.03), fill=(60, 180, 110))


def candle_panel(c: Canvas, box):
    rng = c.rng
    x0, y0, x1, y1 = box
    _panel_background(c, box, (10, 16, 30))
    w, h = x1 - x0, y1 - y0

    def to_y(value: float) -> float:
        return y0 + h * 0.08 + (1 - value) * h * 0.62

    price = 0.5
    n = 26
    step = w * 0.92 / n
    for i in range(n):
        open_ = price
        price = min(0.85, max(0.15, price + rng.uniform(-0.08, 0.085)))
        high, low = max(open_, price) + rng.uniform(0, 0.04), min(open_, price) - rng.uniform(0, 0.04)
        x = x0 + w * 0.04 + i * step
        colour = (230, 70, 70) if price >= open_ else (60, 190, 120)  # red up, green down (the Chinese convention)
        c.line([(x + step * 0.4, to_y(high)), (x + step * 0.4, to_y(low))], colour, 1.5)
        c.rect((x + step * 0.15, to_y(max(open_, price)), x + step * 0.65, to_y(min(open_, price)) + 1.5), colour)
        vh = h * 0.18 * rng.uniform(0.2, 1)
        c.rect((x + step * 0.15, y1 - h * 0.04 - vh, x + step * 0.65, y1 - h * 0.04), mix(colour, (10, 16, 30), 0.4))


PANELS: dict[str, Callable] = {
    "chart": chart_panel, "map": map_panel, "video": video_panel, "scan": scan_panel, "ecg": ecg_panel,
    "tiles": tiles_panel, "document": document_panel, "candles": candle_panel,
}


def desk(c: Canvas, box, colour=(200, 180, 150)):
    x0, y0, x1, y1 = box
    c.rect((x0, y0, x1, y0 + 14), colour, radius=3)
    c.rect((x0 + 10, y0 + 14, x0 + 22, y1), mix(colour, (0, 0, 0), 0.3))
    c.rect((x1 - 22, y0 + 14, x1 - 10, y1), mix(colour, (0, 0, 0), 0.3))


def robot_arm(c: Canvas, x, base, size=1.0, colour=None):
    rng = c.rng
    colour = colour or c.pal.accent
    dark = mix(colour, (0, 0, 0), 0.35)
    c.rect((x - 38 * size, base - 26 * size, x + 38 * size, base), (70, 76, 84), radius=6)
    shoulder = (x, base - 60 * size)
    a1 = math.radians(rng.uniform(-120, -70))
    elbow = (shoulder[0] + math.cos(a1) * 150 * size, shoulder[1] + math.sin(a1) * 150 * size)
    a2 = math.radians(rng.uniform(-10, 40))
    wrist = (elbow[0] + math.cos(a2) * 120 * size, elbow[1] + math.sin(a2) * 120 * size)
    c.rect((x - 24 * size, base - 70 * size, x + 24 * size, base - 20 * size), colour, radius=10)
    c.line([shoulder, elbow], colour, 30 * size)
    c.line([elbow, wrist], colour, 22 * size)
    for (jx, jy), r in ((shoulder, 22), (elbow, 18), (wrist, 13)):
        c.ellipse((jx - r * size, jy - r * size, jx + r * size, jy + r * size), fill=dark)
    c.line([wrist, (wrist[0], wrist[1] + 40 * size)], (80, 84, 90), 8 * size)
    c.line([(wrist[0] - 14 * size, wrist[1] + 40 * size), (wrist[0] + 14 * size, wrist[1] + 40 * size)], (80, 84, 90), 6 * size)


def conveyor(c: Canvas, y, x0=0, x1=WIDTH, items=True):
    rng = c.rng
    c.rect((x0, y, x1, y + 26), (60, 64, 70))
    c.rect((x0, y - 6, x1, y + 4), (110, 116, 124))
    for lx in range(int(x0) + 20, int(x1), 160):
        c.rect((lx, y + 26, lx + 10, y + 90), (90, 96, 104))
    if items:
        x = x0 + rng.uniform(10, 60)
        while x < x1 - 80:
            w = rng.uniform(50, 80)
            colour = rng.choice([(46, 120, 90), (70, 90, 120), (180, 140, 90), (120, 124, 130)])
            c.rect((x, y - 6 - w * 0.5, x + w, y - 6), colour, radius=4)
            c.rect((x + 6, y - w * 0.42, x + w - 6, y - 14), mix(colour, (255, 255, 255), 0.2), radius=3)
            x += w + rng.uniform(50, 110)


def drone(c: Canvas, cx, cy, size=1.0, colour=(240, 242, 246)):
    arm = 70 * size
    for dx, dy in ((-1, -0.35), (1, -0.35), (-1, 0.35), (1, 0.35)):
        c.line([(cx, cy), (cx + dx * arm, cy + dy * arm)], (70, 74, 80), 7 * size)
        c.ellipse((cx + dx * arm - 34 * size, cy + dy * arm - 7 * size, cx + dx * arm + 34 * size, cy + dy * arm + 3 * size), fill=(200, 206, 214))
        c.rect((cx + dx * arm - 4 * size, cy + dy * arm - 6 * size, cx + dx * arm + 4 * size, cy + dy * arm + 10 * size), (60, 64, 70))
    c.rect((cx - 32 * size, cy - 18 * size, cx + 32 * size, cy + 18 * size), colour, radius=12 * size)
    c.ellipse((cx - 10 * size, cy + 10 * size, cx + 10 * size, cy + 30 * size), fill=(30, 34, 40))
    c.rect((cx - 22 * size, cy - 6 * size, cx + 22 * size, cy), c.pal.accent, radius=3)


def agv(c: Canvas, x, base, size=1.0, load=True):
    w, h = 140 * size, 34 * size
    c.rect((x, base - h, x + w, base), c.pal.accent, radius=8 * size)
    c.rect((x + 8 * size, base - h + 6 * size, x + 40 * size, base - h + 14 * size), (40, 44, 50), radius=3)
    for wx in (0.15, 0.85):
        c.ellipse((x + w * wx - 10 * size, base - 12 * size, x + w * wx + 10 * size, base + 6 * size), fill=(30, 30, 34))
    if load:
        c.rect((x + 14 * size, base - h - 60 * size, x + w - 14 * size, base - h), (196, 160, 110))
        c.line([(x + 14 * size, base - h - 30 * size), (x + w - 14 * size, base - h - 30 * size)], (170, 136, 90), 3 * size)


def service_robot(c: Canvas, x, base, size=1.0):
    body = (246, 248, 250)
    c.rect((x - 40 * size, base - 150 * size, x + 40 * size, base), body, radius=30 * size)
    c.rect((x - 28 * size, base - 120 * size, x + 28 * size, base - 80 * size), (40, 120, 200), radius=6 * size)
    c.ellipse((x - 36 * size, base - 215 * size, x + 36 * size, base - 148 * size), fill=body)
    c.rect((x - 26 * size, base - 198 * size, x + 26 * size, base - 168 * size), (30, 40, 56), radius=12 * size)
    for ex in (-11, 11):
        c.ellipse((x + (ex - 5) * size, base - 188 * size, x + (ex + 5) * size, base - 178 * size), fill=(80, 220, 240))
    c.rect((x - 44 * size, base - 14 * size, x + 44 * size, base), (120, 128, 136), radius=6 * size)


def server_rack(c: Canvas, x0, y0, x1, y1):
    rng = c.rng
    c.rect((x0, y0, x1, y1), (28, 34, 46), radius=3)
    units = max(4, int((y1 - y0) / 22))
    uh = (y1 - y0 - 12) / units
    for i in range(units):
        uy = y0 + 6 + i * uh
        c.rect((x0 + 5, uy + 1, x1 - 5, uy + uh - 2), (44, 52, 68))
        for led in range(3):
            if rng.random() < 0.7:
                colour = rng.choice([(80, 220, 120), (80, 220, 120), (60, 170, 240), (240, 180, 60)])
                lx = x0 + 10 + led * max(5, (x1 - x0) * 0.06)
                c.rect((lx, uy + uh * 0.35, lx + max(2, (x1 - x0) * 0.03), uy + uh * 0.65), colour)
