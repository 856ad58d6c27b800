"""Illustrative photos for the demo entries, drawn with Pillow.

Flat-design scenes per domain (production lines, service halls, skylines,
imaging rooms, classrooms, trading screens, video walls, drones, …) built from
a few primitives. Each picture is drawn at twice its size and reduced, which
smooths the edges. Drawing is deterministic: the same seed gives the same
pixels, so the stored blobs are shared between loads.
"""
import io
import random
from collections.abc import Callable
from dataclasses import dataclass

from app.demo.drawing import (
    HEIGHT,
    WIDTH,
    Canvas,
    Palette,
    agv,
    car,
    chart_panel,
    clouds,
    conveyor,
    depth,
    desk,
    detection,
    drone,
    mix,
    person,
    robot_arm,
    room,
    screen,
    server_rack,
    service_robot,
    sky_and_ground,
    skyline,
    tiles_panel,
    tree,
)
from app.enums import Domain

PALETTES = {
    Domain.MANUFACTURING: Palette((196, 207, 219), (150, 158, 166), (176, 188, 201), (240, 140, 40), (46, 110, 180), (38, 46, 58), (228, 232, 236)),
    Domain.GOVERNMENT: Palette((244, 236, 222), (214, 200, 180), (236, 226, 208), (196, 40, 44), (40, 110, 190), (44, 52, 68), (250, 247, 240)),
    Domain.CITY: Palette((120, 180, 235), (110, 120, 130), (200, 215, 230), (30, 170, 160), (250, 180, 50), (40, 52, 70), (236, 242, 246)),
    Domain.HEALTHCARE: Palette((226, 240, 244), (200, 214, 220), (232, 242, 246), (20, 160, 170), (70, 130, 210), (36, 56, 72), (250, 252, 252)),
    Domain.EDUCATION: Palette((250, 240, 220), (196, 160, 120), (244, 232, 206), (60, 150, 90), (240, 170, 60), (48, 54, 60), (252, 248, 240)),
    Domain.FINANCE: Palette((18, 30, 60), (26, 36, 60), (30, 44, 80), (230, 180, 60), (60, 200, 230), (10, 16, 32), (200, 214, 236)),
    Domain.SECURITY: Palette((14, 24, 44), (30, 38, 52), (24, 36, 60), (40, 210, 230), (230, 60, 70), (8, 12, 24), (180, 200, 220)),
    Domain.UNMANNED: Palette((140, 196, 240), (110, 160, 90), (210, 225, 235), (250, 120, 40), (60, 90, 160), (40, 48, 60), (245, 246, 248)),
}


# --- scenes ----------------------------------------------------------------------

def scene_production_line(c: Canvas):
    room(c, back=(150, 150, 1050, 430))
    for i in range(5):  # high windows
        x = 200 + i * 170
        c.rect((x, 190, x + 120, 250), (214, 230, 244))
    for x in (170, 420, 700, 900):
        c.rect((x, 300, x + 130, 430), mix(c.pal.wall, c.pal.dark, 0.3), radius=4)
        c.rect((x + 15, 320, x + 60, 350), (120, 200, 240))
    c.polygon([(0, 640), (WIDTH, 560), (WIDTH, 580), (0, 660)], (240, 200, 40))
    conveyor(c, 520)
    for x in (230, 640, 1000):
        robot_arm(c, x, 500, 0.9)
    cam_x = c.rng.choice((430, 820))
    c.rect((cam_x - 80, 260, cam_x + 80, 272), (80, 86, 94))
    c.rect((cam_x - 20, 272, cam_x + 20, 310), (40, 44, 50), radius=4)
    c.glow("polygon", [(cam_x - 12, 310), (cam_x + 12, 310), (cam_x + 90, 515), (cam_x - 90, 515)], c.pal.accent2, 70, 4)
    detection(c, (cam_x - 70, 440, cam_x + 70, 520), (60, 220, 120))


def scene_inspection_screen(c: Canvas):
    c.gradient((0, 0, WIDTH, HEIGHT), mix(c.pal.wall, (255, 255, 255), 0.3), mix(c.pal.wall, (0, 0, 0), 0.2))
    for x in range(0, WIDTH, 140):  # blurred shelves in the background
        c.rect((x + 10, 120, x + 120, 520), mix(c.pal.wall, (0, 0, 0), 0.12))
    desk(c, (60, 600, 1140, 800), (110, 118, 128))
    screen(c, (180, 130, 860, 520), "video", stand=True)
    screen(c, (890, 260, 1120, 540), "chart", stand=True)
    c.rect((300, 580, 560, 600), (60, 64, 70), radius=4)  # keyboard


def scene_machine_hall(c: Canvas):
    back = room(c, back=(380, 170, 820, 400))
    for side in (-1, 1):
        for t in (0.05, 0.25, 0.5, 0.8):
            y, s = depth(back, t)
            cx = WIDTH / 2 + side * (160 + 440 * t)
            w, h = 170 * s, 150 * s
            x0 = cx - w / 2
            c.rect((x0, y - h, x0 + w, y), (214, 220, 226), radius=6 * s)
            c.rect((x0 + 12 * s, y - h + 16 * s, x0 + w * 0.55, y - h * 0.45), (120, 170, 210), radius=4 * s)
            c.rect((x0 + w * 0.65, y - h + 16 * s, x0 + w - 12 * s, y - h * 0.6), mix(c.pal.accent, (255, 255, 255), 0.1), radius=3 * s)
            c.rect((x0, y - 16 * s, x0 + w, y), (90, 96, 104))
    y, s = depth(back, 0.55)
    agv(c, WIDTH / 2 - 70 * s, y, s)
    c.line([(WIDTH / 2 - 120, back[3]), (WIDTH / 2 - 300, HEIGHT)], (240, 200, 40), 5)
    c.line([(WIDTH / 2 + 120, back[3]), (WIDTH / 2 + 300, HEIGHT)], (240, 200, 40), 5)


def scene_control_room(c: Canvas, wall_content=("map", "chart", "video"), glow=None):
    """A dark operations room: a video wall and operators at desks."""
    pal = c.pal
    c.gradient((0, 0, WIDTH, HEIGHT), mix(pal.dark, (255, 255, 255), 0.1), pal.dark)
    c.rect((0, 560, WIDTH, HEIGHT), mix(pal.dark, (255, 255, 255), 0.06))
    screen(c, (80, 70, 340, 300), wall_content[1])
    screen(c, (360, 60, 840, 420), wall_content[0])
    screen(c, (860, 70, 1120, 300), wall_content[2])
    screen(c, (80, 320, 340, 420), "chart")
    screen(c, (860, 320, 1120, 420), wall_content[2] if wall_content[2] != "video" else "chart")
    c.glow("ellipse", (200, 380, 1000, 640), glow or pal.accent2, 40, 40)
    c.rect((0, 590, WIDTH, 640), mix(pal.dark, (255, 255, 255), 0.18), radius=4)
    for x in (150, 400, 650, 900):
        c.rect((x, 540, x + 150, 592), (20, 24, 30), radius=4)
        c.gradient((x + 5, 544, x + 145, 586), mix(glow or pal.accent2, (0, 0, 0), 0.3), mix(glow or pal.accent2, (0, 0, 0), 0.65))
    c.rect((0, 640, WIDTH, HEIGHT), mix(pal.dark, (0, 0, 0), 0.2))
    for x in (270, 530, 800):
        person(c, x + c.rng.uniform(-20, 20), 830, 1.5, mix(pal.dark, (255, 255, 255), 0.28), back=True)


def scene_digital_twin(c: Canvas):
    pal = c.pal
    c.gradient((0, 0, WIDTH, HEIGHT), (20, 36, 64), (8, 14, 28))
    ox, oy = 600, 470
    for gx in range(-6, 7):
        c.line([(ox + gx * 60 - 6 * 52, oy + gx * 30 + 6 * 26), (ox + gx * 60 + 6 * 52, oy + gx * 30 - 6 * 26)], (40, 80, 120), 1)
        c.line([(ox + gx * 52 - 6 * 60, oy - gx * 26 - 6 * 30), (ox + gx * 52 + 6 * 60, oy - gx * 26 + 6 * 30)], (40, 80, 120), 1)
    for _ in range(9):  # isometric blocks: buildings or machines
        gx, gy = c.rng.randint(-4, 4), c.rng.randint(-4, 4)
        bx, by = ox + gx * 60 + gy * 52, oy + gx * 30 - gy * 26
        h = c.rng.uniform(40, 150)
        top = mix(pal.accent2, (255, 255, 255), 0.2)
        c.polygon([(bx, by - h), (bx + 50, by - 25 - h), (bx + 100, by - h), (bx + 50, by + 25 - h)], top)
        c.polygon([(bx, by - h), (bx + 50, by + 25 - h), (bx + 50, by + 25), (bx, by)], mix(pal.accent2, (0, 0, 0), 0.2))
        c.polygon([(bx + 50, by + 25 - h), (bx + 100, by - h), (bx + 100, by), (bx + 50, by + 25)], mix(pal.accent2, (0, 0, 0), 0.4))
    c.glow("ellipse", (300, 300, 900, 640), pal.accent, 35, 50)
    screen(c, (40, 40, 330, 230), "chart", bezel=(30, 50, 80))
    screen(c, (870, 40, 1160, 230), "chart", bezel=(30, 50, 80))
    screen(c, (40, 560, 330, 760), "chart", bezel=(30, 50, 80))


def scene_service_hall(c: Canvas):
    back = room(c, back=(200, 150, 1000, 430))
    c.rect((330, 190, 870, 240), c.pal.accent)  # the banner over the counters
    screen(c, (470, 260, 730, 380), "tiles", bezel=(60, 60, 66))
    for i in range(6):
        x = 215 + i * 132
        c.rect((x, 400, x + 120, 470), (250, 250, 246))
        c.rect((x, 392, x + 120, 404), mix(c.pal.accent2, (255, 255, 255), 0.2))
        c.rect((x + 30, 420, x + 90, 460), (60, 64, 72), radius=3)
    for i, t in enumerate((0.35, 0.45, 0.6, 0.75)):
        y, s = depth(back, t)
        person(c, 260 + i * 230 + c.rng.uniform(-30, 30), y, s * 1.1)
    y, s = depth(back, 0.65)
    kiosk(c, 1050, y, s)


def kiosk(c: Canvas, x, base, size=1.0):
    c.rect((x - 55 * size, base - 300 * size, x + 55 * size, base), (236, 238, 242), radius=14 * size)
    screen(c, (x - 42 * size, base - 280 * size, x + 42 * size, base - 150 * size), "tiles", bezel=(40, 44, 50))
    c.rect((x - 42 * size, base - 130 * size, x + 42 * size, base - 118 * size), (60, 64, 72))
    c.rect((x - 30 * size, base - 100 * size, x + 30 * size, base - 80 * size), c.pal.accent, radius=4)


def scene_kiosks(c: Canvas):
    room(c, back=(150, 120, 1050, 470))
    c.rect((150, 150, 1050, 210), mix(c.pal.accent, (255, 255, 255), 0.05))
    for i, x in enumerate((330, 520, 710, 900)):
        kiosk(c, x, 620, 1.15 - 0.05 * (i % 2))
    person(c, 430, 700, 1.4)
    person(c, 800, 720, 1.45, back=True)
    tree(c, 120, 660, 1.5, (80, 140, 90))


def scene_desk_document(c: Canvas):
    c.gradient((0, 0, WIDTH, HEIGHT), mix(c.pal.wall, (255, 255, 255), 0.4), c.pal.wall)
    c.rect((760, 80, 1120, 330), mix(c.pal.wall, (0, 0, 0), 0.1))  # a window
    c.gradient((775, 95, 1105, 315), (170, 210, 240), (220, 236, 248))
    desk(c, (40, 560, 1160, 800), (190, 160, 120))
    screen(c, (160, 150, 820, 520), "document", stand=True)
    c.rect((860, 460, 1060, 560), (250, 250, 250), radius=4)  # paper stack
    c.rect((870, 450, 1050, 550), (240, 240, 236), radius=4)
    c.ellipse((1080, 500, 1130, 560), fill=(120, 160, 110))


def scene_street(c: Canvas):
    pal = c.pal
    sky_and_ground(c, 520, ground=(90, 96, 104))
    clouds(c, 4, 60, 200)
    skyline(c, 520, tall=(160, 380), colour=(120, 140, 165))
    c.rect((0, 500, WIDTH, 525), (170, 176, 180))  # pavement
    for x in range(40, WIDTH, 180):
        tree(c, x, 520, 0.9)
    c.rect((0, 600, WIDTH, 608), (240, 240, 240))
    for x in range(0, WIDTH, 120):
        c.rect((x, 680, x + 60, 688), (240, 240, 240))
    for x in (150, 560, 900):
        car(c, x + c.rng.uniform(-40, 40), 660, 1.1, box=pal.accent if c.rng.random() < 0.7 else None)
    car(c, 330, 770, 1.3)
    pole_x = c.rng.choice((90, 1080))
    c.rect((pole_x - 5, 260, pole_x + 5, 520), (80, 86, 94))
    c.rect((pole_x - 5, 260, pole_x + 70 * (1 if pole_x < 600 else -1), 268), (80, 86, 94))
    c.rect((pole_x - 16, 330, pole_x + 16, 360), (40, 44, 50), radius=6)  # camera
    for r in (20, 34, 48):
        c.draw.arc(c._s((pole_x - r, 345 - r, pole_x + r, 345 + r)), -60, 60, fill=pal.accent, width=3 * c.k)


def scene_intersection(c: Canvas):
    """Seen from a traffic camera above: roads, crossings, vehicles in boxes."""
    pal = c.pal
    c.rect((0, 0, WIDTH, HEIGHT), (110, 150, 100))
    for bx, by in ((0, 0), (760, 0), (0, 520), (760, 520)):  # blocks
        c.rect((bx + 20, by + 20, bx + 420, by + 260), (190, 190, 186), radius=6)
        for i in range(4):
            c.rect((bx + 40 + i * 95, by + 40, bx + 110 + i * 95, by + 150), (150, 160, 176), radius=3)
    c.rect((440, 0, 760, HEIGHT), (80, 84, 90))
    c.rect((0, 280, WIDTH, 520), (80, 84, 90))
    for y in range(0, HEIGHT, 60):
        if not 270 < y < 520:
            c.rect((596, y, 604, y + 30), (240, 220, 80))
    for x in range(0, WIDTH, 60):
        if not 430 < x < 760:
            c.rect((x, 396, x + 30, 404), (240, 240, 240))
    for i in range(8):  # zebra crossings
        c.rect((450 + i * 38, 240, 470 + i * 38, 275), (240, 240, 240))
        c.rect((450 + i * 38, 525, 470 + i * 38, 560), (240, 240, 240))
    rng = c.rng
    for _ in range(7):
        if rng.random() < 0.5:
            x, y, w, h = rng.uniform(460, 700), rng.choice((rng.uniform(20, 200), rng.uniform(580, 720))), 44, 90
        else:
            x, y, w, h = rng.choice((rng.uniform(20, 360), rng.uniform(800, 1100))), rng.uniform(300, 460), 90, 44
        colour = rng.choice([(220, 60, 60), (240, 240, 240), (60, 90, 160), (40, 44, 52), (230, 180, 50)])
        c.rect((x, y, x + w, y + h), colour, radius=8)
        c.rect((x + w * 0.2, y + h * 0.2, x + w * 0.8, y + h * 0.8), mix(colour, (0, 0, 0), 0.25), radius=5)
        detection(c, (x - 5, y - 5, x + w + 5, y + h + 5), pal.accent if rng.random() < 0.8 else pal.accent2)
    for _ in range(5):
        px, py = rng.uniform(450, 750), rng.choice((rng.uniform(240, 275), rng.uniform(525, 560)))
        c.ellipse((px - 8, py - 8, px + 8, py + 8), fill=(40, 40, 48))
        c.rect((px - 12, py - 12, px + 12, py + 12), None, outline=pal.accent2, width=2)


def scene_community(c: Canvas):
    sky_and_ground(c, 560, ground=(130, 180, 110))
    clouds(c, 5, 50, 220)
    skyline(c, 560, tall=(200, 330), colour=(214, 200, 184), lit=(160, 190, 215))
    c.rect((0, 600, WIDTH, 660), (200, 196, 190))
    for x in range(60, WIDTH, 150):
        tree(c, x, 600, 0.8 + c.rng.random() * 0.3)
    pal = c.pal
    c.rect((820, 520, 900, 660), (70, 140, 90), radius=6)  # smart bins
    c.rect((905, 540, 975, 660), (60, 110, 180), radius=6)
    c.rect((822, 530, 898, 560), (30, 40, 50))
    c.rect((330, 430, 340, 660), (90, 96, 104))  # smart pole with a sensor
    c.ellipse((315, 410, 355, 440), fill=pal.accent)
    for r in (30, 50, 70):
        c.draw.arc(c._s((335 - r, 425 - r, 335 + r, 425 + r)), -150, -30, fill=pal.accent, width=3 * c.k)
    person(c, 520, 700, 0.9)
    person(c, 600, 720, 0.95)


def scene_imaging_room(c: Canvas):
    room(c, back=(200, 130, 1000, 450))
    pal = c.pal
    cx, cy = 470, 420
    c.ellipse((cx - 200, cy - 210, cx + 200, cy + 190), fill=(244, 246, 248))
    c.ellipse((cx - 110, cy - 120, cx + 110, cy + 100), fill=(70, 80, 90))
    c.ellipse((cx - 170, cy - 180, cx + 170, cy + 160), None, outline=pal.accent, width=6)
    c.rect((cx - 20, 470, 980, 520), (236, 240, 244), radius=10)  # patient table
    c.rect((700, 520, 780, 610), (200, 206, 212))
    screen(c, (860, 170, 1120, 380), "scan", stand=False)


def scene_doctor_desk(c: Canvas):
    c.gradient((0, 0, WIDTH, HEIGHT), c.pal.light, c.pal.wall)
    c.rect((0, 0, 260, HEIGHT), mix(c.pal.accent, (255, 255, 255), 0.7))
    desk(c, (30, 580, 1170, 800), (220, 224, 228))
    screen(c, (120, 150, 640, 520), "scan", stand=True)
    screen(c, (690, 200, 1080, 480), "ecg", stand=True)
    person(c, 1120, 800, 1.6, (250, 250, 250), back=True)


def scene_ward_robot(c: Canvas):
    back = room(c, back=(430, 170, 770, 420), ceiling=(246, 250, 252))
    for side in (-1, 1):
        for t in (0.15, 0.45):
            y, s = depth(back, t)
            x = WIDTH / 2 + side * (200 + 330 * t)
            c.rect((x - 40 * s, y - 300 * s, x + 40 * s, y - 40 * s), mix(c.pal.accent, (255, 255, 255), 0.4))
    c.rect((430, 330, 770, 345), mix(c.pal.accent, (255, 255, 255), 0.2))
    y, s = depth(back, 0.55)
    service_robot(c, 560, y, s * 1.3)
    person(c, 760, depth(back, 0.4)[0], 0.95, (250, 250, 250))


def scene_classroom(c: Canvas):
    back = room(c, back=(220, 110, 980, 440), wall=c.pal.wall)
    screen(c, (360, 160, 840, 400), c.rng.choice(("chart", "tiles")), bezel=(40, 44, 50))
    c.rect((240, 180, 340, 380), (60, 110, 80))
    c.rect((860, 180, 960, 380), (60, 110, 80))
    for row, t in enumerate((0.25, 0.45, 0.7)):
        y, s = depth(back, t)
        for col in range(-2, 3):
            x = WIDTH / 2 + col * 230 * s
            person(c, x, y - 20 * s, s * 0.9, back=True)
            c.rect((x - 80 * s, y - 40 * s, x + 80 * s, y - 26 * s), (200, 160, 110), radius=3)
            if (row + col) % 2 == 0:
                c.rect((x - 20 * s, y - 52 * s, x + 30 * s, y - 40 * s), (50, 60, 70))


def scene_tablet(c: Canvas):
    c.gradient((0, 0, WIDTH, HEIGHT), mix(c.pal.accent2, (255, 255, 255), 0.6), mix(c.pal.accent, (255, 255, 255), 0.5))
    c.rect((0, 460, WIDTH, HEIGHT), (214, 180, 140))
    for i in range(3):  # books
        c.rect((80, 470 - i * 36, 360, 500 - i * 36), c.rng.choice([(200, 80, 70), (60, 120, 180), (240, 190, 80)]), radius=4)
    c.rect((420, 120, 1000, 620), (30, 32, 36), radius=30)
    tiles_panel(c, (450, 150, 970, 590))
    c.ellipse((1030, 430, 1130, 530), fill=(250, 250, 250))
    c.ellipse((1050, 450, 1110, 510), fill=(200, 140, 90))


def scene_lab(c: Canvas):
    back = room(c, back=(200, 130, 1000, 420))
    screen(c, (420, 170, 780, 360), "chart", bezel=(40, 44, 50))
    for t, xs in ((0.3, (350, 850)), (0.7, (260, 940))):
        y, s = depth(back, t)
        for x in xs:
            c.rect((x - 150 * s, y - 90 * s, x + 150 * s, y - 70 * s), (236, 236, 232))
            c.rect((x - 140 * s, y - 70 * s, x - 120 * s, y), (120, 124, 130))
            c.rect((x + 120 * s, y - 70 * s, x + 140 * s, y), (120, 124, 130))
            robot_arm(c, x, y - 90 * s, 0.45 * s)
            person(c, x + 110 * s, y + 30 * s, s * 0.9)


def scene_trading(c: Canvas):
    pal = c.pal
    c.gradient((0, 0, WIDTH, HEIGHT), pal.wall, pal.dark)
    for i, box in enumerate(((40, 60, 400, 300), (420, 40, 780, 300), (800, 60, 1160, 300), (40, 330, 400, 540), (420, 330, 780, 560), (800, 330, 1160, 540))):
        screen(c, box, "candles" if i % 2 == 0 else "chart", bezel=(20, 24, 30))
    c.glow("ellipse", (100, 420, 1100, 760), pal.accent2, 30, 40)
    c.rect((0, 620, WIDTH, 660), mix(pal.dark, (255, 255, 255), 0.22), radius=4)
    c.rect((0, 660, WIDTH, HEIGHT), mix(pal.dark, (255, 255, 255), 0.08))
    person(c, 330, 860, 2.0, (60, 68, 86), back=True)
    person(c, 870, 860, 2.0, (84, 84, 96), back=True)


def scene_bank_hall(c: Canvas):
    pal = c.pal
    back = room(c, back=(220, 140, 980, 450), wall=(230, 226, 218), floor=(196, 190, 182))
    c.rect((220, 180, 980, 220), mix(pal.accent, (255, 255, 255), 0.1))
    for i in range(5):
        x = 250 + i * 145
        c.rect((x, 380, x + 120, 450), (245, 245, 242))
        screen(c, (x + 30, 300, x + 90, 350), "tiles", bezel=(50, 54, 60))
    y, s = depth(back, 0.55)
    service_robot(c, 420, y, s * 1.25)
    person(c, 560, y + 10, s * 1.15)
    kiosk(c, 900, depth(back, 0.7)[0], 1.0)


def scene_server_room(c: Canvas):
    back = room(c, back=(470, 220, 730, 430), wall=(40, 50, 70), floor=(60, 70, 90), ceiling=(50, 60, 80))
    for side in (-1, 1):
        for t in (0.0, 0.12, 0.26, 0.42, 0.62, 0.86):
            y, s = depth(back, t)
            x = WIDTH / 2 + side * (150 + 420 * t)
            server_rack(c, x - 55 * s, y - 330 * s, x + 55 * s, y)
    c.glow("polygon", [(560, 430), (640, 430), (760, 800), (440, 800)], c.pal.accent2, 35, 20)


def scene_phone_app(c: Canvas):
    pal = c.pal
    c.gradient((0, 0, WIDTH, HEIGHT), mix(pal.accent2, (0, 0, 0), 0.2), pal.dark)
    c.glow("ellipse", (200, 100, 1000, 700), pal.accent, 45, 60)
    c.rect((460, 60, 740, 760), (20, 22, 26), radius=40)
    tiles_panel(c, (478, 110, 722, 420))
    chart_panel(c, (478, 430, 722, 700))
    screen(c, (820, 200, 1140, 420), "candles", bezel=(30, 34, 40))
    screen(c, (60, 300, 380, 520), "chart", bezel=(30, 34, 40))


def scene_street_camera(c: Canvas):
    pal = c.pal
    sky_and_ground(c, 470, sky_top=(60, 80, 120), ground=(80, 84, 92))
    skyline(c, 470, tall=(180, 360), colour=(50, 60, 84), lit=(240, 210, 120))
    c.rect((0, 470, WIDTH, 500), (120, 124, 130))
    for _ in range(6):
        x = c.rng.uniform(60, 1100)
        y = c.rng.uniform(560, 760)
        s = 0.6 + (y - 520) / 400
        person(c, x, y, s, back=c.rng.random() < 0.3)
        detection(c, (x - 28 * s, y - 160 * s, x + 28 * s, y + 4), pal.accent if c.rng.random() < 0.8 else pal.accent2)
    c.rect((1080, 80, 1094, 520), (70, 76, 84))
    c.rect((960, 110, 1090, 122), (70, 76, 84))
    c.rect((940, 122, 1000, 160), (220, 224, 230), radius=8)
    c.glow("polygon", [(950, 160), (990, 160), (1180, 700), (500, 700)], pal.accent, 25, 10)


def scene_patrol_robot(c: Canvas):
    sky_and_ground(c, 480, sky_top=(80, 120, 170), ground=(150, 150, 150))
    skyline(c, 480, tall=(150, 300), colour=(100, 120, 150))
    for x in range(0, WIDTH, 100):
        c.line([(x, 480), (x * 1.4 - 240, HEIGHT)], (135, 135, 135), 2)
    x, base = 560, 720
    c.rect((x - 120, base - 120, x + 120, base - 20), (236, 238, 240), radius=30)
    c.rect((x - 60, base - 230, x + 60, base - 110), (236, 238, 240), radius=24)
    c.rect((x - 45, base - 200, x + 45, base - 150), (30, 40, 56), radius=10)
    c.rect((x - 20, base - 270, x + 20, base - 230), (60, 64, 70), radius=6)
    c.ellipse((x - 14, base - 290, x + 14, base - 262), fill=c.pal.accent2)
    c.rect((x - 120, base - 80, x + 120, base - 66), c.pal.accent)
    for wx in (-80, 80):
        c.ellipse((x + wx - 36, base - 50, x + wx + 36, base + 20), fill=(30, 30, 34))
    person(c, 880, 640, 0.8)
    person(c, 250, 620, 0.75)


def scene_drone_farm(c: Canvas):
    sky_and_ground(c, 330, ground=(120, 170, 80))
    clouds(c, 5, 40, 200)
    for i in range(-14, 15):  # crop rows converging to the horizon
        x_far, x_near = 600 + i * 22, 600 + i * 170
        c.line([(x_far, 330), (x_near, HEIGHT)], (90, 140, 60), 9)
    c.rect((0, 325, WIDTH, 335), (100, 140, 90))
    for x in range(0, WIDTH, 90):
        tree(c, x + 30, 335, 0.35, (60, 110, 70))
    cx, cy = c.rng.uniform(420, 760), c.rng.uniform(200, 280)
    c.glow("polygon", [(cx - 60, cy + 30), (cx + 60, cy + 30), (cx + 200, cy + 330), (cx - 200, cy + 330)], (230, 240, 250), 70, 16)
    drone(c, cx, cy, 1.4)
    drone(c, cx + 330, cy - 100, 0.6)


def scene_warehouse(c: Canvas):
    back = room(c, back=(430, 140, 770, 430), wall=(214, 218, 224))
    for side in (-1, 1):
        for t in (0.0, 0.2, 0.45, 0.75):
            y, s = depth(back, t)
            x = WIDTH / 2 + side * (150 + 430 * t)
            w, h = 120 * s, 360 * s
            c.rect((x - w / 2, y - h, x + w / 2, y), (70, 90, 130))
            for level in range(4):
                ly = y - h + level * h / 4
                c.rect((x - w / 2, ly, x + w / 2, ly + 6 * s), (240, 150, 40))
                c.rect((x - w / 2 + 8 * s, ly + 8 * s, x + w / 2 - 8 * s, ly + h / 4 - 6 * s), (196, 160, 110))
    for t, dx in ((0.3, -60), (0.65, 40)):
        y, s = depth(back, t)
        agv(c, WIDTH / 2 + dx * s - 70 * s, y, s)


def scene_robotaxi(c: Canvas):
    pal = c.pal
    sky_and_ground(c, 380, ground=(96, 100, 106))
    clouds(c, 3, 50, 160)
    skyline(c, 380, tall=(80, 240), colour=(150, 166, 186))
    c.polygon([(560, 380), (640, 380), (1100, HEIGHT), (100, HEIGHT)], (70, 74, 80))
    for i in range(6):
        t0, t1 = i / 6, i / 6 + 0.06
        c.polygon([(599 - t0 * 6, 380 + t0 * 420), (601 + t0 * 6, 380 + t0 * 420), (601 + t1 * 6, 380 + t1 * 420), (599 - t1 * 6, 380 + t1 * 420)], (240, 240, 240))
    c.rect((330, 480, 870, 700), (246, 248, 250), radius=40)
    c.rect((380, 420, 820, 520), (236, 240, 244), radius=30)
    c.rect((400, 435, 800, 505), (60, 90, 120), radius=16)
    c.rect((560, 395, 640, 425), (40, 44, 50), radius=8)  # lidar
    c.rect((330, 600, 870, 620), pal.accent)
    for wx in (400, 800):
        c.ellipse((wx - 50, 650, wx + 50, 750), fill=(30, 30, 34))
    car(c, 150, 500, 0.6, box=pal.accent2)
    car(c, 900, 470, 0.45, box=pal.accent2)
    c.glow("polygon", [(600, 400), (300, 380), (900, 380)], pal.accent2, 50, 8)


def scene_port(c: Canvas):
    sky_and_ground(c, 420, ground=(60, 110, 150))
    clouds(c, 3, 40, 160)
    c.rect((0, 500, WIDTH, HEIGHT), (170, 170, 166))
    rng = c.rng
    for x in range(40, WIDTH, 110):  # container stacks
        for level in range(rng.randint(2, 4)):
            colour = rng.choice([(200, 70, 50), (50, 100, 170), (60, 150, 110), (230, 170, 50), (130, 130, 140)])
            c.rect((x, 590 - level * 40, x + 100, 628 - level * 40), colour)
            for rib in range(6):
                c.line([(x + 10 + rib * 16, 594 - level * 40), (x + 10 + rib * 16, 624 - level * 40)], mix(colour, (0, 0, 0), 0.2), 2)
    for x in (200, 620, 1000):  # gantry cranes
        c.rect((x - 100, 200, x - 86, 520), c.pal.accent)
        c.rect((x + 86, 200, x + 100, 520), c.pal.accent)
        c.rect((x - 160, 190, x + 160, 212), c.pal.accent)
        c.rect((x - 20, 212, x + 20, 240), (60, 64, 70))
        c.line([(x, 240), (x, 330)], (60, 64, 70), 3)
    agv(c, 450, 740, 1.3)


# The picture pool: a name, the domain whose palette it uses, how it is drawn.
# Scenarios name the pictures that fit them (with their own captions).
@dataclass(frozen=True)
class Picture:
    domain: Domain
    draw: Callable[[Canvas], None]


PICTURES: dict[str, Picture] = {
    "production_line": Picture(Domain.MANUFACTURING, scene_production_line),
    "inspection_screen": Picture(Domain.MANUFACTURING, scene_inspection_screen),
    "machine_hall": Picture(Domain.MANUFACTURING, scene_machine_hall),
    "factory_twin": Picture(Domain.MANUFACTURING, scene_digital_twin),
    "service_hall": Picture(Domain.GOVERNMENT, scene_service_hall),
    "kiosks": Picture(Domain.GOVERNMENT, scene_kiosks),
    "document_review": Picture(Domain.GOVERNMENT, scene_desk_document),
    "government_centre": Picture(Domain.GOVERNMENT, lambda c: scene_control_room(c, ("map", "chart", "chart"))),
    "street": Picture(Domain.CITY, scene_street),
    "intersection": Picture(Domain.CITY, scene_intersection),
    "city_centre": Picture(Domain.CITY, lambda c: scene_control_room(c, ("map", "chart", "video"))),
    "community": Picture(Domain.CITY, scene_community),
    "imaging_room": Picture(Domain.HEALTHCARE, scene_imaging_room),
    "doctor_desk": Picture(Domain.HEALTHCARE, scene_doctor_desk),
    "ward_robot": Picture(Domain.HEALTHCARE, scene_ward_robot),
    "hospital_centre": Picture(Domain.HEALTHCARE, lambda c: scene_control_room(c, ("chart", "ecg", "chart"))),
    "classroom": Picture(Domain.EDUCATION, scene_classroom),
    "tablet": Picture(Domain.EDUCATION, scene_tablet),
    "lab": Picture(Domain.EDUCATION, scene_lab),
    "campus_twin": Picture(Domain.EDUCATION, scene_digital_twin),
    "trading": Picture(Domain.FINANCE, scene_trading),
    "bank_hall": Picture(Domain.FINANCE, scene_bank_hall),
    "server_room": Picture(Domain.FINANCE, scene_server_room),
    "phone_app": Picture(Domain.FINANCE, scene_phone_app),
    "video_wall": Picture(Domain.SECURITY, lambda c: scene_control_room(c, ("video", "map", "video"), glow=c.pal.accent)),
    "street_camera": Picture(Domain.SECURITY, scene_street_camera),
    "patrol_robot": Picture(Domain.SECURITY, scene_patrol_robot),
    "traffic_camera": Picture(Domain.SECURITY, scene_intersection),
    "drone_farm": Picture(Domain.UNMANNED, scene_drone_farm),
    "warehouse": Picture(Domain.UNMANNED, scene_warehouse),
    "robotaxi": Picture(Domain.UNMANNED, scene_robotaxi),
    "port": Picture(Domain.UNMANNED, scene_port),
}


def render(name: str, *, seed: int) -> bytes:
    """The picture ``name`` as JPEG bytes (deterministic)."""
    picture = PICTURES[name]
    rng = random.Random(f"{seed}:{name}")
    canvas = Canvas(rng, PALETTES[picture.domain])
    picture.draw(canvas)
    out = io.BytesIO()
    canvas.finish().save(out, format="JPEG", quality=92)
    return out.getvalue()
