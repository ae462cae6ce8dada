"""A real browser opens the docs page: headless Chromium renders the operations from /openapi.json, offline.

Skipped (with the reason) when Chromium is not installed, except under ``CI=true``, where it must run: ``.ci/run``
installs Debian's ``chromium``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from .conftest import serve
from .fuzz_services import fuzz_schemas

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--virtual-time-budget=20000",
]  # fmt: skip
WIDTH, HEIGHT = 1200, 1600


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("Chromium is missing on CI: .ci/run must install Debian's chromium package")
    pytest.skip("Chromium is not installed (apt-get install -y chromium); the docs page was not opened in a browser")


async def _run(args: list[str], cwd: Path) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, cwd=cwd
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
    except TimeoutError:
        proc.kill()
        raise
    assert proc.returncode == 0, f"chromium exited with {proc.returncode}"
    return out


def png_rows(data: bytes) -> tuple[int, int, list[bytes]]:
    """``(width, height, filtered scanlines)`` of an 8-bit RGB(A) PNG: enough to tell a page from a blank one."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, width, height, channels, idat = 8, 0, 0, 4, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
            assert body[8] == 8 and body[9] in (2, 6), "expected an 8-bit RGB or RGBA PNG"
            channels = 3 if body[9] == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), 1 + width * channels
    return width, height, [raw[i : i + stride] for i in range(0, len(raw), stride)]


async def test_docs_page_renders_the_operations_in_chromium(tmp_path: Path) -> None:
    chromium = _chromium()
    async with serve(*fuzz_schemas()) as s:
        url = f"{s.api.server.url}/docs"
        dom = (await _run([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'dom'}", "--dump-dom", url], tmp_path))
        shot = tmp_path / "docs.png"
        await _run([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'shot'}", f"--window-size={WIDTH},{HEIGHT}",
                    f"--screenshot={shot}", url], tmp_path)
    html = dom.decode("utf-8", "replace")
    assert "Unable to render" not in html
    for path in ("/api/posts", "/api/posts/{id}", "/api/orders/{id}/status", "/api/shipping/quote"):
        assert f'data-path="{path}"' in html, path
    assert html.count("opblock-summary-method") >= 8  # one per rendered operation
    width, height, rows = png_rows(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT) and len(rows) == HEIGHT
    # a blank page has only uniform scanlines; the rendered list of operations gives hundreds of varied ones
    varied = sum(1 for row in rows if len(set(row[1:])) > 1)
    assert varied >= HEIGHT // 4, f"the screenshot looks blank ({varied} varied rows of {HEIGHT})"
