"""An image upload through the scaled deployment's nginx (the launcher's own rendering of the template) to the web
app: a 7 MB screenshot arrives, a 20 MB file gets the web app's Chinese refusal, not nginx's page."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from PIL import Image

from ops.launcher import nginx
from ops.launcher.plan import Program, nginx_binary
from tests import images
from tests.appkit import make_app
from web.app import create_app

SESSION = "c7d1f0a2d4e5f60718293a4b5c6d7e8f"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def balancer(tmp_path: Path) -> AsyncIterator[str]:
    """The web app behind nginx as `make run-scaled` renders it; nginx's address."""
    binary = nginx_binary()
    if binary is None or shutil.which(binary) is None:
        pytest.skip("nginx is not installed")
    # nginx's configuration needs only the places and ports: the embedded defaults do for the rest
    app = make_app(tmp_path, TOPUP_WEB_PORT=str(free_port()), TOPUP_RASA_PORT=str(free_port()),
                   TOPUP_ACTION_PORT=str(free_port()))
    server = TestServer(create_app(app), host="127.0.0.1")
    await server.start_server()
    programs = [Program("web", [], server.port, "/widget.js"), Program("rasa-1", [], free_port(), "/"),
                Program("actions-1", [], free_port(), "/health")]
    conf = nginx.write_local(app.settings, programs)
    process = subprocess.Popen([binary, "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{app.settings.web_port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"{url}/widget.js") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            else:
                pytest.fail(f"nginx did not answer: {process.stderr.read().decode() if process.poll() else ''}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        await server.close()
        app.close()


def noise_png(side: int = 1500) -> bytes:
    """A screenshot-sized PNG that does not compress: about 6.5 MB."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG", compress_level=1)
    return out.getvalue()


async def post(url: str, data: bytes) -> tuple[int, str, str]:
    body = aiohttp.FormData()
    body.add_field("file", data, filename="a.png", content_type="image/png")
    async with aiohttp.ClientSession() as session, session.post(
            f"{url}/api/chat/attachments?session={SESSION}", data=body) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def test_a_big_screenshot_passes_nginx_and_an_oversize_one_gets_the_apps_chinese_answer(balancer: str) -> None:
    big_screenshot = noise_png()
    assert 6 * 1024 * 1024 < len(big_screenshot) < 8 * 1024 * 1024  # past nginx's default of 1 MB
    status, _, text = await post(balancer, big_screenshot)
    assert status == 201, text

    status, kind, text = await post(balancer, images.big())
    assert status == 413 and kind.startswith("application/json") and "请压缩到 8 MB 以内" in text
