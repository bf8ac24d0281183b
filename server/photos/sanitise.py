"""A customer's photo made safe to show: recognised by its bytes, bounded before it is decoded,
turned upright, scaled down and re-encoded as a fresh JPEG that carries pixels and nothing else.

Synchronous and CPU-bound: it runs in the photo service's thread pool, never on the event loop.
The copy is built from a new image, so no EXIF (GPS, camera, time), ICC profile, XMP or comment
of the upload can ride along; only JFIF's own header is written.
"""

from __future__ import annotations

import io
import math
from collections.abc import Collection
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from ..core.errors import PhotoTooLarge, PhotoTooManyPixels, PhotoTypeRefused, PhotoUnreadable

#: the media type of every cleaned copy
CLEAN_MEDIA_TYPE = "image/jpeg"

#: ISO-BMFF brands of HEIF/HEIC/AVIF files (the "ftyp" box), which Pillow cannot read
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
                          b"avif", b"avis"})


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int
    max_pixels: int
    max_side: int
    types: frozenset[str]
    jpeg_quality: int = 85

    @classmethod
    def of(cls, max_bytes: int, max_pixels: int, max_side: int, types: Collection[str],
           jpeg_quality: int) -> PhotoLimits:
        return cls(max_bytes, max_pixels, max_side, frozenset(types), jpeg_quality)


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    width: int
    height: int
    #: what the upload was ("JPEG", "PNG", "WEBP")
    source_type: str
    media_type: str = CLEAN_MEDIA_TYPE


def sniff(data: bytes) -> str | None:
    """The format the bytes say they are, by their signature (never by a name or header)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIC"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:2] == b"BM":
        return "BMP"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    return None


def sanitise(data: bytes, limits: PhotoLimits) -> CleanPhoto:
    """The cleaned copy of an upload, or a PhotoRefused saying why not."""
    if len(data) > limits.max_bytes:
        raise PhotoTooLarge(f"the photo is {len(data)} bytes; the limit is {limits.max_bytes}"
                            " (setting photos.max_bytes)")
    kind = sniff(data)
    if kind == "HEIC" and "HEIC" not in limits.types:
        raise PhotoTypeRefused("HEIC/HEIF photos cannot be read here; send it as JPEG (on an"
                               " iPhone: Settings › Camera › Formats › Most Compatible)")
    if kind is None:
        raise PhotoUnreadable("this is not a photo the server can read (JPEG, PNG or WebP)")
    if kind not in limits.types:
        allowed = ", ".join(sorted(limits.types))
        raise PhotoTypeRefused(f"{kind} images are not accepted; send {allowed}"
                               " (setting photos.types)")
    try:
        return _clean(data, kind, limits)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoTooManyPixels(
            f"the photo has more pixels than the limit of {limits.max_pixels}"
            " (setting photos.max_pixels)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError,
            TypeError):
        # Pillow's decoders say "broken" in all of these ways (truncated, bad tables, bad chunks)
        raise PhotoUnreadable("the photo could not be read: the file is damaged or incomplete"
                              ) from None


def _clean(data: bytes, kind: str, limits: PhotoLimits) -> CleanPhoto:
    with Image.open(io.BytesIO(data), formats=[kind]) as image:
        width, height = image.size  # from the header: nothing decoded yet
        if width * height > limits.max_pixels:
            raise PhotoTooManyPixels(
                f"the photo is {width}×{height} = {width * height} pixels; the limit is"
                f" {limits.max_pixels} (setting photos.max_pixels)")
        if kind == "JPEG" and max(width, height) > limits.max_side:
            # decode at the coarsest 1/2, 1/4 or 1/8 scale still at least the cleaned copy's size:
            # a 12 MP photo is decoded at 3 MP, in a quarter of the time and memory
            scale = limits.max_side / max(width, height)
            image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
        image.load()
        upright = ImageOps.exif_transpose(image)
        pixels = _flattened(upright)
    pixels.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
    clean = Image.new("RGB", pixels.size)  # a new image: no info, EXIF, ICC or comment of the upload
    clean.paste(pixels)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=limits.jpeg_quality)
    return CleanPhoto(out.getvalue(), clean.width, clean.height, kind)


def _flattened(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency laid on white (a screenshot's alpha would otherwise turn black)."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
