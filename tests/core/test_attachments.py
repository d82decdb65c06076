"""Images in the conversation, the service's side: judged by content, re-encoded bare, kept under random names
outside the web root, and shown only to whom they belong."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from PIL import Image, ImageChops
from sqlalchemy import text

from tests import images
from topup.app import App
from topup.db.engine import unit_of_work
from topup.db.schema import TicketConversationRow
from topup.model import Complaint
from topup.services.attachments import AttachmentLimits, AttachmentNotFound, AttachmentRefused, AttachmentService
from topup.services.handoff import HandoffRequest
from topup.settings import ROOT

CONVERSATION = "c0ffee-customer-conversation-1"


def files(app: App) -> list[Path]:
    folder = app.attachments.directory
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def rows(app: App) -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM attachments")).scalar())


def ticket(app: App, conversation_id: str) -> str:
    return app.handoffs.hand_off(HandoffRequest(
        conversation_id=conversation_id, order_no="KM20261127004215", verified=True,
        complaint=Complaint.RECHARGE_STUCK, customer_description="钱扣了话费没到", reason="customer_request")).ticket_no


def stored_image(app: App, token: str) -> tuple[Image.Image, bytes]:
    _, path = app.attachments.open(token)
    data = path.read_bytes()
    return Image.open(io.BytesIO(data)), data


# --- what is kept, and how -----------------------------------------------------------------------------------

def test_a_png_screenshot_is_kept_pixel_for_pixel_without_its_exif_gps_or_comment(app: App) -> None:
    original = images.png()
    assert images.SECRET_CAMERA.encode() in original and images.SECRET_COMMENT.encode() in original
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the GPS position is really there

    kept = app.attachments.store(CONVERSATION, "customer", "", original)

    picture, data = stored_image(app, kept.token)
    assert (kept.content_type, kept.width, kept.height, kept.size_bytes) == ("image/png", 240, 160, len(data))
    assert images.SECRET_CAMERA.encode() not in data and images.SECRET_COMMENT.encode() not in data
    assert b"eXIf" not in data and b"tEXt" not in data and b"iTXt" not in data
    assert not picture.getexif() and "Comment" not in picture.info
    assert ImageChops.difference(picture.convert("RGB"), images.screenshot()).getbbox() is None


def test_a_phone_photo_is_turned_upright_and_loses_its_exif(app: App) -> None:
    original = images.jpeg(orientation=6)  # taken sideways: the camera says "turn me 90°"
    kept = app.attachments.store(CONVERSATION, "customer", "", original)
    picture, data = stored_image(app, kept.token)
    assert (kept.content_type, picture.format, picture.size) == ("image/jpeg", "JPEG", (160, 240))
    assert not picture.getexif() and "comment" not in picture.info and "exif" not in picture.info
    assert images.SECRET_CAMERA.encode() not in data and images.SECRET_COMMENT.encode() not in data


def test_webp_stays_webp_and_a_gif_becomes_its_first_frame_as_png(app: App) -> None:
    webp = app.attachments.store(CONVERSATION, "customer", "", images.webp())
    picture, data = stored_image(app, webp.token)
    assert webp.content_type == "image/webp" and picture.format == "WEBP" and not picture.getexif()
    assert images.SECRET_CAMERA.encode() not in data

    gif = app.attachments.store(CONVERSATION, "customer", "", images.gif(frames=3))
    picture, data = stored_image(app, gif.token)
    assert gif.content_type == "image/png" and picture.format == "PNG" and (gif.width, gif.height) == (60, 40)
    assert not getattr(picture, "is_animated", False) and images.SECRET_COMMENT.encode() not in data


def test_a_page_glued_after_a_real_image_is_not_kept(app: App) -> None:
    kept = app.attachments.store(CONVERSATION, "customer", "", images.png_then_html())
    _, data = stored_image(app, kept.token)
    assert b"<script" not in data and b"<html" not in data


# --- what is refused -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "reason"), [
    pytest.param(images.SVG, "not_image", id="svg"),
    pytest.param(images.HTML, "not_image", id="html"),
    pytest.param(b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "not_image", id="pdf"),
    pytest.param("我的订单号是 KM20261127004215".encode(), "not_image", id="text"),
    pytest.param(b"", "not_image", id="empty"),
    pytest.param(images.PNG_SIGNATURE + images.HTML, "broken", id="png signature glued to html"),
    pytest.param(images.PNG_SIGNATURE + bytes(range(256)) * 8, "broken", id="png signature and garbage"),
    pytest.param(images.png()[:300], "broken", id="truncated png"),
    pytest.param(images.jpeg((800, 600))[:2000], "broken", id="truncated jpeg"),
    pytest.param(b"\xff\xd8\xff" + images.png()[3:], "broken", id="jpeg signature on a png"),
    pytest.param(images.bomb(), "too_many_pixels", id="decompression bomb"),
    pytest.param(images.big(), "too_big", id="20 MB"),
])
def test_anything_but_a_whole_image_is_refused_and_nothing_is_kept(app: App, data: bytes, reason: str) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        app.attachments.store(CONVERSATION, "customer", "", data)
    assert refused.value.reason == reason
    assert files(app) == [] and rows(app) == 0


def test_the_bomb_is_refused_from_its_header_below_pillows_own_guard(app: App) -> None:
    assert 8000 * 6000 < Image.MAX_IMAGE_PIXELS  # Pillow alone would decode it
    assert len(images.bomb()) < 10_000
    with pytest.raises(AttachmentRefused, match="too_many_pixels"):
        app.attachments.store(CONVERSATION, "customer", "", images.bomb())


def test_the_size_limit_is_the_setting(app: App, tmp_path: Path) -> None:
    small = AttachmentService(app.engine, app.clock, tmp_path / "small", AttachmentLimits(max_bytes=1000))
    assert len(images.png(metadata=False)) < 1000 < len(images.jpeg((400, 300)))
    small.store(CONVERSATION, "customer", "", images.png(metadata=False))
    with pytest.raises(AttachmentRefused, match="too_big"):
        small.store(CONVERSATION, "customer", "", images.jpeg((400, 300)))
    assert app.attachments.limits.max_bytes == app.settings.attachment_max_bytes == 8 * 1024 * 1024


def test_one_conversation_cannot_flood_the_disk(app: App, tmp_path: Path) -> None:
    capped = AttachmentService(app.engine, app.clock, tmp_path / "capped", AttachmentLimits(per_conversation=2))
    for _ in range(2):
        capped.store(CONVERSATION, "customer", "", images.png())
    with pytest.raises(AttachmentRefused, match="too_many"):
        capped.store(CONVERSATION, "customer", "", images.png())
    capped.store("another-conversation-0001", "customer", "", images.png())  # others are not affected


def test_a_database_failure_leaves_no_file_behind(app: App) -> None:
    with unit_of_work(app.engine) as session:
        session.execute(text("DROP TABLE attachments"))
    with pytest.raises(Exception):  # noqa: B017 - whatever the database says
        app.attachments.store(CONVERSATION, "customer", "", images.png())
    assert files(app) == []


# --- where and under which name ------------------------------------------------------------------------------

def test_names_are_random_tokens_outside_the_web_root_with_nothing_of_the_sender(app: App) -> None:
    kept = [app.attachments.store(CONVERSATION, "customer", "", images.png()) for _ in range(5)]
    tokens = {a.token for a in kept}
    assert len(tokens) == 5 and all(len(t) == 43 for t in tokens)  # 32 random bytes each
    stored = files(app)
    assert {p.name for p in stored} == tokens  # no extension, no original name, no temporary file left
    web_root = (ROOT / "web" / "static").resolve()
    for path in stored:
        assert web_root not in path.resolve().parents
        assert app.attachments.directory in path.parents
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert app.attachments.directory == app.settings.state_dir / "attachments"


@pytest.mark.parametrize("token", ["../../secrets.env", "..", "", "a" * 42, "a" * 44, "abc/def" + "a" * 36])
def test_only_a_token_can_name_a_file(app: App, token: str) -> None:
    with pytest.raises(AttachmentNotFound):
        app.attachments.open(token)


def test_an_unknown_or_vanished_token_is_not_found(app: App) -> None:
    with pytest.raises(AttachmentNotFound):
        app.attachments.open("A" * 43)
    kept = app.attachments.store(CONVERSATION, "customer", "", images.png())
    app.attachments.path(kept.token).unlink()
    with pytest.raises(AttachmentNotFound):
        app.attachments.open(kept.token)


# --- whose they are ------------------------------------------------------------------------------------------

def test_a_customer_sees_their_own_and_their_tickets_images_and_nobody_elses(app: App) -> None:
    ticket_no = ticket(app, CONVERSATION)
    own = app.attachments.store(CONVERSATION, "customer", "", images.png(), ticket_no)
    reply = app.attachments.store(CONVERSATION, "agent", "xiaowang", images.png(), ticket_no)
    stranger = "someone-else-conversation-9"
    stranger_image = app.attachments.store(stranger, "customer", "", images.png())
    for attachment in (own, reply):
        assert app.attachments.visible_to(attachment, CONVERSATION)
        assert not app.attachments.visible_to(attachment, stranger)
    assert not app.attachments.visible_to(stranger_image, CONVERSATION)

    # A second conversation joined to the case sees what is on the ticket, not the first one's private images.
    second = "second-conversation-same-order"
    before = app.attachments.store(CONVERSATION, "customer", "", images.png())  # no ticket on it
    with unit_of_work(app.engine) as session:
        session.add(TicketConversationRow(ticket_no=ticket_no, conversation_id=second, joined_at=app.clock.now()))
    assert app.attachments.visible_to(reply, second)
    assert not app.attachments.visible_to(before, second)


def test_the_case_lists_every_image_of_its_conversations_even_from_before_the_handoff(app: App) -> None:
    early = app.attachments.store(CONVERSATION, "customer", "", images.png())  # sent before there was a ticket
    ticket_no = ticket(app, CONVERSATION)
    on_ticket = app.attachments.store(CONVERSATION, "customer", "", images.jpeg(), ticket_no)
    second = "second-conversation-same-order"
    with unit_of_work(app.engine) as session:
        session.add(TicketConversationRow(ticket_no=ticket_no, conversation_id=second, joined_at=app.clock.now()))
    joined = app.attachments.store(second, "customer", "", images.webp())
    app.attachments.store("unrelated-conversation-42", "customer", "", images.png())

    assert [a.token for a in app.attachments.for_ticket(ticket_no)] == [early.token, on_ticket.token, joined.token]
    assert [a.token for a in app.attachments.for_conversations([second])] == [joined.token]
    assert app.attachments.for_conversations([]) == []
    listed = app.attachments.for_ticket(ticket_no)[1].as_dict()
    assert listed["url"] == f"/api/attachments/{on_ticket.token}" and "conversation_id" not in listed
