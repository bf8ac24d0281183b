"""The photo cleaner: limits at and one past, formats, bombs, and nothing but pixels kept."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.core.errors import PhotoTooLarge, PhotoTooManyPixels, PhotoTypeRefused, PhotoUnreadable
from server.photos.sanitise import PhotoLimits, sanitise, sniff
from server.settings.photos import PhotoSettings
from tests.support.photos import (
    assert_clean_jpeg,
    encoded,
    heic_header,
    jpeg_with_metadata,
    picture,
    png_declaring,
)

DEFAULTS = PhotoSettings()


def limits(**changes: object) -> PhotoLimits:
    values: dict[str, object] = {
        "max_bytes": DEFAULTS.max_bytes, "max_pixels": DEFAULTS.max_pixels,
        "max_side": DEFAULTS.max_side, "types": DEFAULTS.types,
        "jpeg_quality": DEFAULTS.jpeg_quality}
    values.update(changes)
    return PhotoLimits.of(**values)  # type: ignore[arg-type]


def test_the_defaults_are_the_documented_ones() -> None:
    assert (DEFAULTS.max_bytes, DEFAULTS.max_pixels, DEFAULTS.max_side) == (
        10 * 1024 * 1024, 30_000_000, 1600)
    assert DEFAULTS.types == ["JPEG", "PNG", "WEBP"]
    assert (DEFAULTS.case_budget_bytes, DEFAULTS.memory_budget_bytes) == (
        8 * 1024 * 1024, 256 * 1024 * 1024)
    assert (DEFAULTS.per_case.burst, DEFAULTS.per_case.per_seconds) == (5, 60)


def test_exif_gps_icc_profile_and_comment_are_gone_from_the_clean_copy() -> None:
    upload = jpeg_with_metadata(320, 240)
    with Image.open(io.BytesIO(upload)) as original:  # the test photo really carries them
        assert original.getexif().get_ifd(0x8825)[2] == (59.0, 19.0, 45.12)
        assert "icc_profile" in original.info and original.info["comment"]
    clean = sanitise(upload, limits())
    assert (clean.width, clean.height, clean.media_type, clean.source_type) == (
        320, 240, "image/jpeg", "JPEG")
    assert_clean_jpeg(clean.data)


def test_the_exif_orientation_is_applied_before_it_is_dropped() -> None:
    clean = sanitise(jpeg_with_metadata(200, 100, orientation=6), limits())
    assert (clean.width, clean.height) == (100, 200)
    assert_clean_jpeg(clean.data)


def test_a_large_photo_is_scaled_to_max_side_and_one_at_max_side_is_kept() -> None:
    big = encoded(picture(3000, 1500), "JPEG")
    clean = sanitise(big, limits(max_side=1600))
    assert (clean.width, clean.height) == (1600, 800)
    at_limit = sanitise(encoded(picture(1600, 900), "PNG"), limits(max_side=1600))
    assert (at_limit.width, at_limit.height) == (1600, 900)


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_png_and_webp_come_out_as_clean_jpeg(kind: str) -> None:
    clean = sanitise(encoded(picture(120, 80), kind), limits())
    assert (clean.width, clean.height, clean.source_type) == (120, 80, kind)
    assert_clean_jpeg(clean.data)


def test_transparency_is_laid_on_white() -> None:
    clean = sanitise(encoded(picture(40, 40, "RGBA"), "PNG"), limits())
    with Image.open(io.BytesIO(clean.data)) as image:
        r, g, b = image.convert("RGB").getpixel((20, 20))  # type: ignore[misc]
    assert min(r, g, b) > 245


def test_size_at_the_limit_is_taken_and_one_byte_more_is_refused() -> None:
    photo = encoded(picture(64, 64), "JPEG")
    padded = photo + b"\x00" * 100  # trailing bytes after the image's end are ignored by decoders
    assert sanitise(padded, limits(max_bytes=len(padded))).width == 64
    with pytest.raises(PhotoTooLarge, match="photos.max_bytes"):
        sanitise(padded, limits(max_bytes=len(padded) - 1))


def test_pixels_at_the_limit_are_taken_and_one_more_is_refused() -> None:
    photo = encoded(picture(100, 50), "PNG")
    assert sanitise(photo, limits(max_pixels=5000)).height == 50
    with pytest.raises(PhotoTooManyPixels, match="photos.max_pixels"):
        sanitise(photo, limits(max_pixels=4999))


@pytest.mark.parametrize("side", [6000, 10_000, 20_000])
def test_a_decompression_bomb_is_refused_from_its_header(side: int) -> None:
    # 36 M (our limit), 100 M (Pillow warns) and 400 M pixels (Pillow refuses) in ~100 bytes
    with pytest.raises(PhotoTooManyPixels):
        sanitise(png_declaring(side, side), limits())


def test_heic_is_refused_with_a_message_saying_what_to_send_instead() -> None:
    assert sniff(heic_header()) == "HEIC"
    with pytest.raises(PhotoTypeRefused, match="HEIC.*JPEG"):
        sanitise(heic_header(), limits())


@pytest.mark.parametrize("kind", ["GIF", "BMP", "TIFF"])
def test_formats_outside_the_setting_are_refused_by_their_bytes(kind: str) -> None:
    with pytest.raises(PhotoTypeRefused, match="photos.types"):
        sanitise(encoded(picture(20, 20), kind), limits())


def test_a_format_can_be_switched_off() -> None:
    with pytest.raises(PhotoTypeRefused):
        sanitise(encoded(picture(20, 20), "PNG"), limits(types=["JPEG"]))


def test_a_png_named_jpeg_is_read_as_what_its_bytes_say() -> None:
    assert sniff(encoded(picture(20, 20), "PNG")) == "PNG"


@pytest.mark.parametrize("data", [b"hello, this is not an image", b"", b"\xff\xd8\xff" + b"\x00" * 50])
def test_garbage_and_broken_files_are_unreadable(data: bytes) -> None:
    with pytest.raises(PhotoUnreadable):
        sanitise(data, limits())


def test_a_truncated_jpeg_is_unreadable() -> None:
    photo = jpeg_with_metadata(640, 480)
    with pytest.raises(PhotoUnreadable):
        sanitise(photo[: len(photo) // 2], limits())
