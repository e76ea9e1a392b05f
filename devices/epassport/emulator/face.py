"""A synthetic face picture for virtual documents (tests, demo defaults).

A drawn head-and-shoulders silhouette, not a person: the repository never ships faces
from the shared datasets. Callers who want a real face pass their own JPEG.
"""

from __future__ import annotations

import io


def synthetic_face_jpeg(
    width: int = 240, height: int = 320, *, seed: int = 0, quality: int = 85
) -> bytes:
    """A JPEG of a drawn face; ``seed`` varies skin and background tones; noise makes it
    compress like a photograph (about 10-20 KB at 240x320, quality 85)."""
    from PIL import Image, ImageDraw, ImageFilter

    tone = 150 + (seed * 37) % 80
    image = Image.new("RGB", (width, height), (200 - seed % 40, 210, 225))
    draw = ImageDraw.Draw(image)
    cx, cy = width // 2, int(height * 0.42)
    rx, ry = int(width * 0.27), int(height * 0.26)
    draw.ellipse(
        (cx - int(rx * 1.9), int(height * 0.8), cx + int(rx * 1.9), height + ry), fill=(60, 70, 90)
    )
    draw.rectangle(
        (cx - rx // 2, cy + ry - 10, cx + rx // 2, int(height * 0.85)),
        fill=(tone, tone - 30, tone - 60),
    )
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(tone, tone - 25, tone - 55))
    draw.chord((cx - rx - 4, cy - ry - 12, cx + rx + 4, cy + ry // 2), 180, 360, fill=(40, 30, 25))
    for ex in (cx - rx // 2, cx + rx // 2):
        draw.ellipse((ex - 14, cy - 12, ex + 14, cy + 6), fill=(245, 245, 245))
        draw.ellipse((ex - 6, cy - 9, ex + 6, cy + 3), fill=(50, 35, 25))
    draw.line((cx, cy, cx - 6, cy + ry // 3), fill=(tone - 50, tone - 70, tone - 90), width=3)
    draw.arc(
        (cx - rx // 2, cy + ry // 4, cx + rx // 2, cy + ry // 2 + 20),
        20,
        160,
        fill=(140, 50, 50),
        width=4,
    )
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    image = Image.blend(image, noise, 0.12).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()
