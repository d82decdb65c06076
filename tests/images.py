"""Files a customer might send as their "payment screenshot", made with Pillow: real images carrying metadata that
must not survive, and the things that only pretend to be images."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

SECRET_CAMERA = "SecretCam-3000"
SECRET_COMMENT = "customer-home-address-comment"
GPS = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 0.0)}  # a place in Beijing
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>')
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = SECRET_CAMERA  # Make
    exif[0x0112] = orientation
    exif[0x8825] = GPS  # the GPS IFD
    return exif


def screenshot(size: tuple[int, int] = (240, 160)) -> Image.Image:
    """Something like a payment app's screen: a coloured bar and a line of 'text'."""
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0], size[1] // 4), fill=(22, 119, 255))
    draw.rectangle((10, size[1] // 2, size[0] - 10, size[1] // 2 + 8), fill=(40, 40, 40))
    return image


def png(size: tuple[int, int] = (240, 160), metadata: bool = True) -> bytes:
    out = io.BytesIO()
    if metadata:
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", SECRET_COMMENT)
        screenshot(size).save(out, "PNG", exif=_exif(), pnginfo=info)
    else:
        screenshot(size).save(out, "PNG")
    return out.getvalue()


def jpeg(size: tuple[int, int] = (240, 160), orientation: int = 1) -> bytes:
    out = io.BytesIO()
    screenshot(size).save(out, "JPEG", exif=_exif(orientation), comment=SECRET_COMMENT.encode(), quality=92)
    return out.getvalue()


def webp(size: tuple[int, int] = (240, 160)) -> bytes:
    out = io.BytesIO()
    screenshot(size).save(out, "WEBP", exif=_exif())
    return out.getvalue()


def gif(frames: int = 2) -> bytes:
    pictures = [screenshot((60, 40)).convert("P") for _ in range(frames)]
    out = io.BytesIO()
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], comment=SECRET_COMMENT.encode(),
                     duration=100, loop=0)
    return out.getvalue()


def bomb(size: tuple[int, int] = (8000, 6000)) -> bytes:
    """48 million pixels in a few kilobytes."""
    out = io.BytesIO()
    Image.new("1", size, 0).save(out, "PNG", optimize=True)
    return out.getvalue()


def png_then_html() -> bytes:
    """A real image with a page glued after it (a polyglot): only the picture may be kept."""
    return png(metadata=False) + HTML


def big(size_bytes: int = 20 * 1024 * 1024) -> bytes:
    """A 20 MB 'image': the signature, then noise."""
    return PNG_SIGNATURE + bytes(size_bytes - len(PNG_SIGNATURE))


def _font(size: int) -> ImageFont.ImageFont:
    for path in ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                 "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default()


def receipt(title: str, headline: str, amount: str, rows: list[tuple[str, str]], kind: str = "PNG",
            bar: tuple[int, int, int] = (22, 119, 255)) -> bytes:
    """A phone's record screen (390×700), with the phone's GPS position in its EXIF."""
    image = Image.new("RGB", (390, 700), (245, 246, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 390, 64), fill=bar)
    draw.text((20, 18), title, fill=(255, 255, 255), font=_font(22))
    draw.ellipse((165, 100, 225, 160), fill=(82, 196, 26))
    draw.text((195, 184), headline, fill=(31, 35, 41), font=_font(22), anchor="mm")
    draw.text((195, 238), amount, fill=(31, 35, 41), font=_font(40), anchor="mm")
    for i, (name, value) in enumerate(rows):
        y = 300 + i * 52
        draw.text((20, y), name, fill=(138, 144, 153), font=_font(16))
        draw.text((140, y), value, fill=(31, 35, 41), font=_font(16))
        draw.line((20, y + 38, 370, y + 38), fill=(230, 232, 235))
    out = io.BytesIO()
    image.save(out, kind, exif=_exif())
    return out.getvalue()


def payment_screenshot(kind: str = "PNG") -> bytes:
    """What customers really send: the payment app's receipt of the stuck order."""
    return receipt("账单详情", "支付成功", "-100.00", [
        ("商品说明", "中国移动话费充值 100元"), ("收款方", "某某卡盟"), ("支付时间", "2026-11-27 20:41:07"),
        ("付款方式", "余额宝"), ("商户订单号", "KM20261127004215"), ("交易号", "2026112722001488")], kind)


def bank_screenshot() -> bytes:
    """The bank's record of the same debit, as a JPEG photo."""
    return receipt("交易明细", "支出", "-100.00", [
        ("交易类型", "快捷支付"), ("对方户名", "某某卡盟"), ("交易时间", "2026-11-27 20:41"),
        ("账户", "尾号 3821"), ("状态", "交易成功")], "JPEG", bar=(196, 30, 58))


def topup_record() -> bytes:
    """What an agent sends back: the supplier's record that the top-up went through."""
    return receipt("充值记录", "充值成功", "100 元", [
        ("充值号码", "138****3821"), ("运营商", "中国移动"), ("到账时间", "2026-11-27 21:15"),
        ("订单号", "KM20261127004215")], bar=(11, 122, 95))
