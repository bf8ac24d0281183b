"""The settings section of photos a customer sends (``[photos]``, docs/photos.md).

Every limit is here with its default: what one upload may weigh and measure, which formats are
read, how large the cleaned copy is, and how much memory photos of one case and of the whole
server may hold (photos live in memory only, while their case is open).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .security import Rate

#: the formats a photo may arrive in (HEIC is refused with its own message: Pillow cannot read it)
PhotoType = Literal["JPEG", "PNG", "WEBP"]
DEFAULT_TYPES: tuple[PhotoType, ...] = ("JPEG", "PNG", "WEBP")


class PhotoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    #: largest accepted upload, in bytes (one more is refused with photo_too_large)
    max_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    #: most pixels (width × height) an upload may declare; one more is refused with
    #: photo_too_many_pixels before anything is decoded (decompression bombs)
    max_pixels: int = Field(30_000_000, ge=1, le=89_478_485)
    #: the longest side of the cleaned copy the agent sees (larger photos are scaled down)
    max_side: int = Field(1600, ge=64, le=8192)
    #: the formats read; anything else is refused with photo_type_refused
    types: list[PhotoType] = Field(default_factory=lambda: list(DEFAULT_TYPES))
    #: JPEG quality of the cleaned copy
    jpeg_quality: int = Field(85, ge=30, le=95)
    #: memory the cleaned photos of one case may hold; past it photo_case_budget_full
    case_budget_bytes: int = Field(8 * 1024 * 1024, ge=64 * 1024)
    #: memory all photos (cleaned, and uploads being cleaned) may hold on this server; past it
    #: photo_memory_full (503, try again)
    memory_budget_bytes: int = Field(256 * 1024 * 1024, ge=1024 * 1024)
    #: threads that decode and clean photos (never the event loop)
    decode_workers: int = Field(2, ge=1, le=16)
    #: photos per case: a burst, refilled evenly (one past it: rate_limited with retry_after)
    per_case: Rate = Field(default_factory=lambda: Rate(burst=5, per_seconds=60))

    @field_validator("types")
    @classmethod
    def _some_type(cls, value: list[PhotoType]) -> list[PhotoType]:
        if not value:
            raise ValueError("photos.types needs at least one format")
        return value
