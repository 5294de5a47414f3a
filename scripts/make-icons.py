#!/usr/bin/env python3
"""Draw Roster's application icons into icons/ (the PNG, ICO and ICNS files Tauri bundles).

The icons are committed; run this only to change the design:

    python3 -m venv /tmp/icons && /tmp/icons/bin/pip install Pillow
    /tmp/icons/bin/python scripts/make-icons.py

Design: a rounded square in a calm blue with a white "roster" glyph, three rows of a
person's head and a name line, drawn once at 4x the largest size and scaled down so the
edges stay smooth at 32x32.
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "icons"
MASTER = 4096  # drawing size; every output is a downscale of this
TOP = (59, 130, 196)  # calm blue, lighter at the top ...
BOTTOM = (37, 99, 168)  # ... darker at the bottom
WHITE = (255, 255, 255, 255)


def master() -> Image.Image:
    size = MASTER
    # The tile leaves a margin so the icon does not look heavier than its neighbours in a dock.
    margin = round(size * 0.06)
    radius = round(size * 0.20)

    gradient = Image.new("RGBA", (size, size))
    draw = ImageDraw.Draw(gradient)
    for y in range(size):
        t = y / (size - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM))
        draw.line([(0, y), (size, y)], fill=colour + (255,))

    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        [margin, margin, size - margin - 1, size - margin - 1], radius=radius, fill=255
    )
    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    icon.paste(gradient, (0, 0), mask)

    # The glyph: three rows, each a round head and a rounded name bar.
    draw = ImageDraw.Draw(icon)
    rows = 3
    row_h = size * 0.13  # head diameter and bar height scale with this
    gap = size * 0.075
    total = rows * row_h + (rows - 1) * gap
    top = (size - total) / 2
    left = size * 0.25
    bar_left = left + row_h + size * 0.06
    bar_rights = [size * 0.75, size * 0.69, size * 0.75]
    bar_h = row_h * 0.62
    for i in range(rows):
        y = top + i * (row_h + gap)
        draw.ellipse([left, y, left + row_h, y + row_h], fill=WHITE)
        by = y + (row_h - bar_h) / 2
        draw.rounded_rectangle(
            [bar_left, by, bar_rights[i], by + bar_h], radius=bar_h / 2, fill=WHITE
        )
    return icon


def main() -> None:
    OUT.mkdir(exist_ok=True)
    big = master()

    def sized(px: int) -> Image.Image:
        return big.resize((px, px), Image.Resampling.LANCZOS)

    for name, px in [
        ("32x32.png", 32),
        ("128x128.png", 128),
        ("128x128@2x.png", 256),
        ("icon.png", 512),
    ]:
        sized(px).save(OUT / name, format="PNG")

    # Windows: one .ico holding the sizes the shell asks for.
    sized(256).save(
        OUT / "icon.ico",
        format="ICO",
        sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)],
    )
    # macOS: Pillow writes every ICNS size from the 1024 image it is given.
    sized(1024).save(OUT / "icon.icns", format="ICNS")


if __name__ == "__main__":
    main()
