"""Draw the app icons in static/icons/ (run once; the PNGs are committed)."""

import math
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
TEAL = (47, 93, 98)
CREAM = (246, 244, 239)
GOLD = (233, 196, 106)


def star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill: tuple) -> None:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=fill)


def icon(size: int, maskable: bool) -> Image.Image:
    image = Image.new("RGB", (size, size), TEAL if maskable else CREAM)
    draw = ImageDraw.Draw(image)
    if not maskable:
        pad = size * 0.04
        draw.rounded_rectangle((pad, pad, size - pad, size - pad), radius=size * 0.2, fill=TEAL)
    # A maskable icon keeps its picture inside the central 80 % safe zone.
    scale = 0.3 if maskable else 0.36
    star(draw, size / 2, size * 0.52, size * scale, GOLD)
    return image


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    icon(192, False).save(OUT / "icon-192.png", optimize=True)
    icon(512, False).save(OUT / "icon-512.png", optimize=True)
    icon(512, True).save(OUT / "icon-maskable-512.png", optimize=True)
