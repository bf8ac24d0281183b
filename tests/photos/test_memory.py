"""Photo memory: a case's budget and the server's, each at the limit and one past."""

from __future__ import annotations

import pytest

from server.core.errors import PhotoCaseBudgetFull, PhotoMemoryFull
from server.photos.memory import HeldPhoto, PhotoMemory
from server.photos.sanitise import CleanPhoto


def held(photo_id: str, case_id: str, size: int) -> HeldPhoto:
    return HeldPhoto(photo_id, case_id, 0.0, CleanPhoto(b"x" * size, 1, 1, "JPEG"))


def test_a_case_fills_its_budget_exactly_and_one_byte_more_is_refused() -> None:
    memory = PhotoMemory(case_budget=100, total_budget=1000)
    memory.keep(held("a", "c1", 60))
    memory.keep(held("b", "c1", 40))
    assert memory.case_bytes("c1") == 100
    with pytest.raises(PhotoCaseBudgetFull):
        memory.keep(held("c", "c1", 1))
    memory.keep(held("d", "c2", 100))  # another case has its own budget


def test_the_server_fills_its_budget_exactly_and_one_byte_more_is_refused() -> None:
    memory = PhotoMemory(case_budget=100, total_budget=150)
    memory.keep(held("a", "c1", 100))
    memory.keep(held("b", "c2", 50))
    with pytest.raises(PhotoMemoryFull):
        memory.keep(held("c", "c3", 1))
    assert memory.used == 150


def test_uploads_being_cleaned_count_against_the_server_budget() -> None:
    memory = PhotoMemory(case_budget=100, total_budget=150)
    memory.reserve(150)
    with pytest.raises(PhotoMemoryFull):
        memory.reserve(1)
    memory.release(150)
    memory.reserve(1)


def test_dropping_a_case_frees_its_photos_and_its_budget() -> None:
    memory = PhotoMemory(case_budget=100, total_budget=1000)
    memory.keep(held("a", "c1", 60))
    memory.keep(held("b", "c2", 10))
    assert memory.drop_case("c1") == 1
    assert memory.get("a") is None and memory.get("b") is not None
    assert (memory.used, memory.case_bytes("c1"), len(memory)) == (10, 0, 1)
    memory.keep(held("c", "c1", 100))
