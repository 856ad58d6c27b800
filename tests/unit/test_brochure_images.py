"""Brochure images: stored photos cropped and resized to their printed size,
cached; QR codes that decode to the scenario's URL."""
import io
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image

from app.brochure import images
from app.brochure.images import MissingImage, print_image, qr_code, qr_image
from app.pdf.render import render_pdf
from app.storage import storage

RED, GREEN, BLUE, BLACK, WHITE = (220, 0, 0), (0, 200, 0), (0, 0, 220), (0, 0, 0), (255, 255, 255)


@pytest.fixture
def cache(app, tmp_path, monkeypatch):
    """An app context whose brochure cache is a fresh folder; yields the images folder."""
    monkeypatch.setitem(app.config, "BROCHURE_CACHE_FOLDER", str(tmp_path / "brochure-cache"))
    with app.app_context():
        yield tmp_path / "brochure-cache" / "images"


def stored(image: Image.Image, *, format="JPEG", truncated: bool = False, **options) -> str:
    """The key of ``image`` stored as a file (cut in half when ``truncated``)."""
    out = io.BytesIO()
    image.save(out, format=format, **options)
    data = out.getvalue()
    return storage().put(data[: len(data) // 2] if truncated else data, suffix=".jpg" if format == "JPEG" else ".png")


def bands(size, colours, *, across: bool) -> Image.Image:
    """Equal bands of ``colours``, side by side (``across``) or stacked."""
    image = Image.new("RGB", size)
    width, height = size
    for index, colour in enumerate(colours):
        if across:
            box = (width * index // len(colours), 0, width * (index + 1) // len(colours), height)
        else:
            box = (0, height * index // len(colours), width, height * (index + 1) // len(colours))
        image.paste(colour, box)
    return image


def close(pixel, colour, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def test_print_profile_gives_the_exact_printed_pixels(cache):
    key = stored(bands((4000, 3000), [RED, GREEN, BLUE], across=True), quality=90)

    path = print_image(key, width_mm=80, height_mm=60, dpi=300)

    assert path.parent == cache
    with Image.open(path) as result:
        # 80 mm / 25.4 × 300 = 944.9 → 945; 60 mm → 708.7 → 709
        assert result.size == (945, 709)
        assert result.format == "JPEG"
        assert result.mode == "RGB"
        assert not result.info.get("progressive")  # baseline: every print RIP reads it
        assert not result.getexif()


def test_screen_profile_gives_the_exact_pixels_at_150_dpi(cache):
    key = stored(bands((3200, 2400), [RED, GREEN, BLUE], across=True))

    path = print_image(key, width_mm=80, height_mm=60, dpi=150)

    with Image.open(path) as result:
        assert result.size == (472, 354)  # 472.4 and 354.3
        assert result.info.get("progressive")  # smaller, and shows early on screen


def framed(size, inner) -> Image.Image:
    """Red, with a green rectangle ``inner`` (left, top, right, bottom)."""
    image = Image.new("RGB", size, RED)
    image.paste(GREEN, inner)
    return image


def test_a_wide_photo_loses_its_sides_and_a_tall_one_its_top_and_bottom(cache):
    # Green just covers the centred crop (with a 50 px margin); red lies beyond it.
    wide = stored(framed((3000, 1000), (950, 0, 2050, 1000)), format="PNG")
    tall = stored(framed((1200, 3000), (0, 1150, 1200, 1850)), format="PNG")

    with Image.open(print_image(wide, width_mm=50, height_mm=50, dpi=150)) as square:
        assert square.size == (295, 295)
        for xy in [(0, 0), (294, 0), (0, 294), (294, 294), (147, 147)]:
            assert close(square.getpixel(xy), GREEN), xy
    with Image.open(print_image(tall, width_mm=60, height_mm=20, dpi=150)) as banner:
        assert banner.size == (354, 118)  # 1200 × 400 of the middle, scaled down
        for xy in [(0, 0), (353, 0), (0, 117), (353, 117)]:
            assert close(banner.getpixel(xy), GREEN), xy


def test_a_small_photo_is_never_enlarged_but_gets_the_frame_aspect(cache):
    key = stored(framed((400, 400), (0, 100, 400, 300)), format="PNG")

    with Image.open(print_image(key, width_mm=80, height_mm=40, dpi=300)) as result:
        # The frame wants 945 × 472 pixels; the source has only 400 across.
        assert result.size == (400, 200)
        for xy in [(0, 0), (399, 0), (0, 199), (399, 199)]:
            assert close(result.getpixel(xy), GREEN), xy


def test_a_second_call_is_served_from_the_cache(cache, monkeypatch):
    key = stored(bands((2000, 1500), [RED, GREEN, BLUE], across=True))
    first = print_image(key, width_mm=80, height_mm=60, dpi=150)
    stamp = first.stat().st_mtime_ns

    def no_encoding(*args, **kwargs):
        raise AssertionError("re-encoded although cached")

    monkeypatch.setattr(Image.Image, "save", no_encoding)
    monkeypatch.setattr(images, "storage", lambda: pytest.fail("read the blob again although cached"))
    second = print_image(key, width_mm=80, height_mm=60, dpi=150)

    assert second == first
    assert second.stat().st_mtime_ns == stamp
    assert [p.name for p in cache.iterdir()] == [first.name]  # no temporary file left behind


def test_each_size_and_resolution_has_its_own_file(cache):
    key = stored(bands((2000, 1500), [RED, GREEN, BLUE], across=True))

    paths = {
        print_image(key, width_mm=80, height_mm=60, dpi=150),
        print_image(key, width_mm=80, height_mm=60, dpi=300),
        print_image(key, width_mm=60, height_mm=60, dpi=150),
    }

    assert len(paths) == 3
    assert sorted(p.name for p in cache.iterdir()) == sorted(p.name for p in paths)


@pytest.mark.parametrize("source_size", [(300, 200), (3000, 2000)], ids=["small", "large, decoded in draft"])
def test_the_exif_orientation_is_applied(cache, source_size):
    # Stored on its side: left half black, right half white, "rotate 90° clockwise to view" (6).
    sideways = bands(source_size, [BLACK, WHITE], across=True)
    exif = Image.Exif()
    exif[images.ORIENTATION] = 6
    key = stored(sideways, exif=exif.tobytes())

    with Image.open(print_image(key, width_mm=20, height_mm=30, dpi=150)) as upright:
        assert upright.size == (118, 177)
        # Upright, the left half is on top.
        assert close(upright.getpixel((59, 10)), BLACK)
        assert close(upright.getpixel((59, 166)), WHITE)


def test_transparency_is_flattened_onto_white(cache):
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    image.paste((0, 0, 220, 255), (100, 100, 300, 300))
    key = stored(image, format="PNG")

    with Image.open(print_image(key, width_mm=20, height_mm=20, dpi=150)) as result:
        assert result.mode == "RGB"
        assert close(result.getpixel((2, 2)), WHITE)
        assert close(result.getpixel((59, 59)), BLUE)


def test_a_missing_or_unreadable_blob_raises_missing_image(cache):
    absent = "ab/cd/abcd" + "0" * 60 + ".jpg"
    garbage = storage().put(b"this is not an image", suffix=".jpg")
    # Cut in half: WeasyPrint makes Pillow decode such files (the rest grey).
    truncated = [
        stored(bands((800, 600), [RED, GREEN], across=True), truncated=True),
        stored(bands((800, 600), [RED, GREEN], across=True), progressive=True, quality=80, truncated=True),
        stored(bands((800, 600), [RED, GREEN], across=True), format="PNG", truncated=True),
    ]

    for key in (absent, garbage, *truncated, "../../etc/passwd", "", None):
        with pytest.raises(MissingImage) as caught:
            print_image(key, width_mm=80, height_mm=60, dpi=150)
        assert caught.value.key == key
    assert not any(cache.iterdir())  # nothing half-written


def test_qr_image_is_a_cached_png_of_one_pixel_per_module_with_error_correction_m(cache):
    url = "http://127.0.0.1:5000/library/2025/17"

    path = qr_image(url)

    modules = qr_code(url).symbol_size(border=4)[0]  # the quiet zone of 4 modules included
    with Image.open(path) as png:
        assert png.format == "PNG" and png.size == (modules, modules)
        assert png.convert("L").getpixel((0, 0)) == 255  # the quiet zone is white
        assert png.convert("L").getpixel((4, 4)) == 0  # the finder pattern's dark corner
    assert qr_code(url).error == "M"
    assert path.parent == cache
    modified = path.stat().st_mtime_ns
    assert qr_image(url) == path and path.stat().st_mtime_ns == modified  # from the cache
    assert qr_image(url + "8") != path


ZBARIMG = shutil.which("zbarimg")
needs_zbar = pytest.mark.skipif(ZBARIMG is None, reason="zbarimg (zbar-tools) is not installed")


def decode(png: Path) -> str:
    result = subprocess.run([ZBARIMG, "--raw", "-q", str(png)], capture_output=True, check=True, timeout=30)
    return result.stdout.decode().rstrip("\n")


@needs_zbar
@pytest.mark.parametrize("url", ["http://127.0.0.1:5000/library/2025/17", "https://showcase.example.gov.cn/library/2024/280"])
def test_the_qr_code_decodes_to_the_exact_url(url, tmp_path):
    png = tmp_path / "qr.png"
    qr_code(url).save(str(png), kind="png", scale=6, border=4)

    assert decode(png) == url


@needs_zbar
def test_a_url_with_chinese_path_and_query_decodes_to_its_uri(tmp_path):
    url = "https://showcase.example.gov.cn/library/2025/智能制造?q=人工智能"
    png = tmp_path / "qr.png"
    qr_code(url).save(str(png), kind="png", scale=6, border=4)

    decoded = decode(png)

    # Percent-encoded UTF-8: what a browser requests, and readable by every scanner.
    assert decoded == (
        "https://showcase.example.gov.cn/library/2025/%E6%99%BA%E8%83%BD%E5%88%B6%E9%80%A0"
        "?q=%E4%BA%BA%E5%B7%A5%E6%99%BA%E8%83%BD"
    )
    assert unquote(decoded) == url


@needs_zbar
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_the_qr_image_printed_by_weasyprint_decodes_to_the_url(cache, tmp_path):
    url = "http://127.0.0.1:5000/library/2025/123"
    png = qr_image(url)
    html = f"""<!doctype html><html><head><style>
        @page {{ size: 60mm 60mm; margin: 10mm }}
        img {{ width: 30mm; height: 30mm; image-rendering: pixelated }}
        </style></head><body><img src="{png.as_uri()}" alt=""></body></html>"""
    pdf = tmp_path / "qr.pdf"
    pdf.write_bytes(render_pdf(html, base_url=tmp_path.as_uri() + "/", stylesheets=[], allowed_roots=[cache]))

    # Printed unsmoothed: the PDF image says so, and the scan of the page decodes.
    assert b"/Interpolate false" in pdf.read_bytes()
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60, env={**os.environ, "LC_ALL": "C"})

    assert decode(tmp_path / "page.png") == url
