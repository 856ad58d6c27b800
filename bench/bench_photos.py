"""Benchmark: re-encoding an uploaded 12-megapixel phone photo.

Run from the repository root:  .venv/bin/python bench/bench_photos.py [--runs 5]

Generates a 4000 × 3000 JPEG that compresses like a photo (gradients, shapes,
blurred texture and sensor-like noise; ~5 MB at quality 92) carrying EXIF as a
phone writes it (make, model, date, orientation 6 = rotated, GPS position),
then times ``app.entries.images.process_photo`` against a baseline measured
in the same run on the same bytes: a plain Pillow decode (``open`` +
``load``). Prints the medians, the ratio, a breakdown of where the time
goes, and the sizes of the renditions, and checks that the output carries
no EXIF and is turned upright.
"""
import argparse
import io
import random
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.entries.images import JPEG_QUALITY, SIZES, process_photo  # noqa: E402

WIDTH, HEIGHT = 4000, 3000
MAX_PIXELS = 50_000_000


def phone_jpeg(width: int = WIDTH, height: int = HEIGHT, *, seed: int = 42) -> bytes:
    """A photo-like JPEG with a phone's EXIF (orientation 6 and a GPS position)."""
    rnd = random.Random(seed)

    def gradient(angle: float) -> Image.Image:
        return Image.linear_gradient("L").rotate(angle, resample=Image.Resampling.BICUBIC).resize(
            (width, height), Image.Resampling.BICUBIC
        )

    radial = Image.radial_gradient("L").resize((width, height), Image.Resampling.BICUBIC)
    image = Image.merge("RGB", (gradient(20), radial, gradient(200)))
    draw = ImageDraw.Draw(image)
    for index in range(60):
        x, y, size = rnd.randrange(width), rnd.randrange(height), rnd.randrange(80, 700)
        box = [x, y, x + size, y + int(size * rnd.uniform(0.4, 1.5))]
        colour = tuple(rnd.randrange(256) for _ in range(3))
        (draw.ellipse if index % 2 else draw.rectangle)(box, fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(3))  # soft edges, as through a lens
    texture = Image.effect_noise((width // 4, height // 4), 60).resize((width, height), Image.Resampling.BICUBIC)
    image = Image.blend(image, Image.merge("RGB", (texture,) * 3), 0.18)
    grain = Image.effect_noise((width, height), 12)  # sensor noise
    image = ImageChops.add(image, Image.merge("RGB", (grain,) * 3), scale=1.0, offset=-128)

    exif = Image.Exif()
    exif[0x010F] = "Xiaomi"  # Make
    exif[0x0110] = "Redmi Note 12"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif[0x0132] = "2025:05:20 10:31:02"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (22.0, 32.0, 31.2)  # 22°32'31.2" N
    gps[3], gps[4] = "E", (113.0, 56.0, 44.4)  # 113°56'44.4" E (Shenzhen)
    gps[5], gps[6] = b"\x00", 12.5  # 12.5 m above sea level
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, exif=exif)
    return out.getvalue()


def median_seconds(function, runs: int) -> tuple[float, object]:
    function()  # warm-up: imports, allocator, caches
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def breakdown(data: bytes, runs: int) -> list[tuple[str, float]]:
    """The steps of process_photo timed one by one (same settings)."""
    rows = []
    seconds, image = median_seconds(lambda: decode(data), runs)
    rows.append(("decode (open + load)", seconds))
    seconds, upright = median_seconds(lambda: ImageOps.exif_transpose(image), runs)
    rows.append(("exif_transpose", seconds))
    seconds, rgb = median_seconds(lambda: upright.convert("RGB"), runs)
    rows.append(("convert to RGB", seconds))
    for name, longest in SIZES.items():
        def resize(longest=longest):
            copy = rgb.copy()
            copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
            return copy

        seconds, resized = median_seconds(resize, runs)
        rows.append((f"{name}: copy + thumbnail to {longest} px", seconds))

        def encode(resized=resized, name=name):
            out = io.BytesIO()
            resized.save(out, format="JPEG", quality=JPEG_QUALITY[name], optimize=True, progressive=name != "thumb")
            return out

        seconds, _ = median_seconds(encode, runs)
        rows.append((f"{name}: encode JPEG q{JPEG_QUALITY[name]}", seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per measurement (median is reported)")
    args = parser.parse_args()

    start = time.perf_counter()
    data = phone_jpeg()
    print(f"input: {WIDTH} × {HEIGHT} JPEG, {len(data) / 1e6:.2f} MB, EXIF orientation 6 + GPS "
          f"(generated in {time.perf_counter() - start:.2f} s)")
    print(f"Pillow {Image.__version__}, median of {args.runs} runs after one warm-up\n")

    baseline, _ = median_seconds(lambda: decode(data), args.runs)
    processed_seconds, processed = median_seconds(lambda: process_photo(data, max_pixels=MAX_PIXELS), args.runs)

    print(f"{'baseline: Pillow decode (open + load)':<44} {baseline:7.3f} s")
    print(f"{'process_photo(max_pixels=50_000_000)':<44} {processed_seconds:7.3f} s")
    print(f"{'ratio process_photo / decode':<44} {processed_seconds / baseline:7.2f} ×\n")

    print("where the time goes (each step timed alone):")
    rows = breakdown(data, args.runs)
    for label, seconds in rows:
        print(f"  {label:<42} {seconds:7.3f} s")
    print(f"  {'sum of steps':<42} {sum(seconds for _, seconds in rows):7.3f} s\n")

    print(f"output: ProcessedImage {processed.width} × {processed.height} "
          f"(input stored as {WIDTH} × {HEIGHT} with orientation 6, so upright it is portrait)")
    total = 0
    for name, blob in processed.renditions.items():
        rendition = Image.open(io.BytesIO(blob))
        leftovers = [key for key in ("exif", "icc_profile", "xmp", "comment") if rendition.info.get(key)]
        total += len(blob)
        print(f"  {name:<8} {rendition.width:>5} × {rendition.height:<5} {len(blob) / 1e3:9.1f} kB"
              f"   metadata: {', '.join(leftovers) or 'none'}")
        assert not leftovers and not rendition.getexif(), f"{name} still carries metadata"
    print(f"  {'total':<8} {'':15} {total / 1e3:9.1f} kB  ({total / len(data):.0%} of the upload)")
    master = Image.open(io.BytesIO(processed.renditions["master"]))
    assert master.height > master.width, "orientation not applied"


if __name__ == "__main__":
    main()
