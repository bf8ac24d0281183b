"""Photos are never stored: sent through a live server, no file but the database is opened for
writing, no file under the data folder or the temporary folder holds the photo's bytes, no
database row holds them, and what the agent receives has no EXIF (GPS) left."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.integration.helpers import active_case, agent
from tests.support.live import LiveServer
from tests.support.photos import assert_clean_jpeg, encoded, jpeg_with_metadata, picture
from tests.support.write_audit import watching_writes


def slices(data: bytes, count: int = 8, size: int = 48) -> list[bytes]:
    """Distinctive pieces from across a file's body: any stored copy would contain them."""
    step = max(1, (len(data) - size) // count)
    return [data[i:i + size] for i in range(len(data) // 4, len(data) - size, step)][:count]


def files_holding(root: Path, pieces: list[bytes], since: float) -> list[str]:
    """Files under ``root`` changed since ``since`` that contain any of ``pieces``."""
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            try:
                if path.is_symlink() or path.stat().st_mtime < since - 1:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            if any(piece in data for piece in pieces):
                found.append(str(path))
    return found


def rows_holding(database: Path, pieces: list[bytes]) -> list[str]:
    connection = sqlite3.connect(database)
    try:
        hits = []
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 (names from sqlite_master)
                for value in row:
                    raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "replace")
                    if any(piece in raw for piece in pieces) or (
                            isinstance(value, bytes) and len(value) > 512):
                        hits.append(table)
        return hits
    finally:
        connection.close()


async def test_photos_sent_through_a_live_server_leave_no_copy_on_disk_or_in_the_database(
    server: LiveServer,
) -> None:
    started = time.time()
    lisa = await agent(server, "lisa", "Lisa")
    _, case_id, ack = await active_case(server, lisa)
    uploads = [jpeg_with_metadata(1024, 768), encoded(picture(900, 700, "RGBA"), "PNG"),
               encoded(picture(640, 480), "WEBP", quality=90)]
    received: list[bytes] = []
    async with watching_writes() as watch, aiohttp.ClientSession() as http:
        for data in uploads:
            async with http.post(f"{server.url}/api/photos", data=data, headers={
                    "Authorization": f"Bearer {ack['case_token']}"}) as response:
                assert response.status == 201, await response.text()
                photo_id = (await response.json())["photo"]["photo_id"]
            await lisa.client.wait_for("photo_shared", lambda p, i=photo_id: p["photo_id"] == i)
            async with http.get(f"{server.url}/api/photos/{photo_id}", headers={
                    "Authorization": f"Bearer {lisa.token}"}) as response:
                assert response.status == 200
                received.append(await response.read())
        await server.flush()
        await asyncio.sleep(0)  # let the sampler take one more look
    assert watch.strays() == [], f"files opened for writing while photos were sent: {watch.strays()}"

    # EXIF (GPS, camera), the ICC profile and the comment are gone from what the agent sees
    for data in received:
        assert_clean_jpeg(data)

    pieces = [p for data in [*uploads, *received] for p in slices(data)]
    assert files_holding(server.settings.storage.data_dir, pieces, started) == []
    assert files_holding(Path(tempfile.gettempdir()), pieces, started) == []
    assert rows_holding(server.settings.storage.data_dir / "helpwire.sqlite3", pieces) == []
    # the history knows that three photos were sent, and how large they were
    with sqlite3.connect(server.settings.storage.data_dir / "helpwire.sqlite3") as connection:
        kinds = [row[0] for row in connection.execute(
            "SELECT kind FROM case_events WHERE case_id = ? AND kind = 'photo'", (case_id,))]
    assert kinds == ["photo"] * 3
