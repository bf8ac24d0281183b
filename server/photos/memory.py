"""Where photos are while their case is open: in this process's memory, nowhere else.

Bounded twice: a case's photos may hold ``case_budget`` bytes, all photos together (and the
uploads being cleaned) ``total_budget``. A photo is dropped with its case (``drop_case``, when
the case is over) and never written to a file or the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import PhotoCaseBudgetFull, PhotoMemoryFull
from .sanitise import CleanPhoto


@dataclass(frozen=True)
class HeldPhoto:
    photo_id: str
    case_id: str
    at: float
    photo: CleanPhoto


class PhotoMemory:
    def __init__(self, case_budget: int, total_budget: int) -> None:
        self.case_budget = case_budget
        self.total_budget = total_budget
        self._photos: dict[str, HeldPhoto] = {}
        self._of_case: dict[str, list[str]] = {}
        self._case_bytes: dict[str, int] = {}
        #: bytes of photos held
        self.used = 0
        #: bytes of uploads being cleaned now (they count against the total until they are done)
        self.in_flight = 0

    def __len__(self) -> int:
        return len(self._photos)

    def case_bytes(self, case_id: str) -> int:
        return self._case_bytes.get(case_id, 0)

    def check_room(self, case_id: str, size: int) -> None:
        """Raise when ``size`` more bytes of ``case_id`` would not fit."""
        if self.case_bytes(case_id) + size > self.case_budget:
            raise PhotoCaseBudgetFull(
                f"this conversation's photos would hold more than {self.case_budget} bytes"
                " (setting photos.case_budget_bytes); no more photos in this case")
        if self.used + self.in_flight + size > self.total_budget:
            raise PhotoMemoryFull(
                "the server holds as many photos as it may now (setting"
                " photos.memory_budget_bytes); try again in a moment")

    def reserve(self, size: int) -> None:
        """Count an upload being cleaned against the total (``release`` it when done)."""
        if self.used + self.in_flight + size > self.total_budget:
            raise PhotoMemoryFull(
                "the server holds as many photos as it may now (setting"
                " photos.memory_budget_bytes); try again in a moment")
        self.in_flight += size

    def release(self, size: int) -> None:
        self.in_flight -= size

    def keep(self, held: HeldPhoto) -> None:
        size = len(held.photo.data)
        self.check_room(held.case_id, size)
        self._photos[held.photo_id] = held
        self._of_case.setdefault(held.case_id, []).append(held.photo_id)
        self._case_bytes[held.case_id] = self.case_bytes(held.case_id) + size
        self.used += size

    def get(self, photo_id: str) -> HeldPhoto | None:
        return self._photos.get(photo_id)

    def of_case(self, case_id: str) -> list[HeldPhoto]:
        return [self._photos[p] for p in self._of_case.get(case_id, [])]

    def forget(self, photo_id: str) -> None:
        held = self._photos.pop(photo_id, None)
        if held is None:
            return
        size = len(held.photo.data)
        self.used -= size
        ids = self._of_case.get(held.case_id, [])
        if photo_id in ids:
            ids.remove(photo_id)
        left = self.case_bytes(held.case_id) - size
        if ids:
            self._case_bytes[held.case_id] = left
        else:
            self._of_case.pop(held.case_id, None)
            self._case_bytes.pop(held.case_id, None)

    def drop_case(self, case_id: str) -> int:
        """Forget every photo of a case; how many there were."""
        ids = list(self._of_case.get(case_id, []))
        for photo_id in ids:
            self.forget(photo_id)
        return len(ids)
