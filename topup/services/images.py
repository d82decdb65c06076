"""What an uploaded file really is, judged by its content: a PNG, JPEG, WebP or (first frame of a) GIF, decoded
to the last pixel and drawn again, so nothing of the original file but its picture is kept.

- The name and the browser's declared type are never read: the first bytes say which format it claims to be, and
  Pillow, told to accept only that format, must decode all of it. SVG, HTML, PDF, text, a PNG signature glued to
  HTML, a truncated file: refused.
- The pixel count is checked from the header before anything is decoded (a decompression bomb: a small file that
  would decode into gigabytes), below Pillow's own guard.
- The picture is re-encoded from its pixels: EXIF (GPS position, camera, time), comments, XMP and text chunks are
  gone, along with anything hidden after the image data. The EXIF orientation is applied first, so a phone photo
  stays upright; a colour profile is converted to sRGB and dropped.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

# The formats accepted, by the signature their files begin with; each is stored as the type next to it.
PNG, JPEG, WEBP, GIF = "PNG", "JPEG", "WEBP", "GIF"
CONTENT_TYPES = {PNG: "image/png", JPEG: "image/jpeg", WEBP: "image/webp"}
_STILL = {GIF: PNG}  # a GIF's first frame is kept as a PNG (no animation, no GIF comment extensions)
_MODES = {PNG: ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"), JPEG: ("L", "RGB"), WEBP: ("RGB", "RGBA")}


class ImageRefused(ValueError):
    """The file is not an image this service keeps. `reason`: not_image, broken or too_many_pixels."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanImage:
    content_type: str
    data: bytes
    width: int
    height: int


def sniff(head: bytes) -> str | None:
    """The format the file's first bytes claim, or None for anything that is not one of ours."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    return None


def clean(data: bytes, max_pixels: int) -> CleanImage:
    """The image in `data`, decoded and re-encoded without its metadata; ImageRefused when it is not one."""
    claimed = sniff(data[:16])
    if claimed is None:
        raise ImageRefused("not_image", "no image signature")
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # Pillow's default is False: a half-sent file is refused, never padded
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[claimed]) as opened:
                width, height = opened.size
                if width < 1 or height < 1 or width * height > max_pixels:
                    raise ImageRefused("too_many_pixels", f"{width}x{height}")
                opened.seek(0)  # an animation: its first frame
                opened.load()
                picture = _upright(opened)
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused("too_many_pixels", str(exc)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise ImageRefused("broken", f"{claimed}: {exc.__class__.__name__}") from None
    target = _STILL.get(claimed, claimed)
    return CleanImage(CONTENT_TYPES[target], _encode(picture, target), picture.width, picture.height)


def _upright(image: Image.Image) -> Image.Image:
    """The pixels turned as the EXIF orientation says, in sRGB, with no metadata left in `info`."""
    turned = ImageOps.exif_transpose(image) or image
    profile = image.info.get("icc_profile")
    if profile and turned.mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        turned = _to_srgb(turned, profile)
    elif turned.mode == "CMYK":
        turned = turned.convert("RGB")
    bare = turned.copy()
    transparency = turned.info.get("transparency")
    bare.info = {} if transparency is None else {"transparency": transparency}
    return bare


def _to_srgb(image: Image.Image, profile: bytes) -> Image.Image:
    mode = {"CMYK": "RGB", "LA": "RGBA"}.get(image.mode, image.mode)
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=mode)
        return converted if converted is not None else image
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        logger.info("colour profile not applied (%s image)", image.mode)  # kept as it is: colours a little off
        return image.convert(mode) if mode != image.mode else image


def _encode(image: Image.Image, target: str) -> bytes:
    if image.mode not in _MODES[target]:
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha and target != JPEG else "RGB")
    out = io.BytesIO()
    if target == PNG:
        image.save(out, PNG, optimize=False, compress_level=6)
    elif target == JPEG:
        image.save(out, JPEG, quality=90, optimize=True)
    else:
        image.save(out, WEBP, quality=90, method=4)
    return out.getvalue()
