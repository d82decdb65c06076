"""Signed tokens a shop passes for its logged-in customers: the assistant trusts only what is signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass

from topup import config


@dataclass(frozen=True)
class Customer:
    customer_id: str
    phone: str


def _secret() -> bytes:
    return os.environ.get("TOPUP_CUSTOMER_TOKEN_SECRET", config.demo_customer_secret()).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(customer_id: str, phone: str, ttl_s: int = 3600, now: float | None = None) -> str:
    """What the shop's server does (the secret never reaches the browser)."""
    payload = _b64(json.dumps({"sub": customer_id, "phone": phone, "exp": int((now or time.time()) + ttl_s)}).encode())
    return f"{payload}.{_b64(hmac.new(_secret(), payload.encode(), hashlib.sha256).digest())}"


def verify(token: object, now: float | None = None) -> Customer | None:
    """The customer a valid, unexpired token names; None for anything else."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 2048:
        return None
    payload, signature = token.split(".")
    expected = _b64(hmac.new(_secret(), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        return None
    try:
        data = json.loads(_unb64(payload))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or int(data.get("exp", 0)) < (now or time.time()):
        return None
    return Customer(str(data.get("sub", "")), str(data.get("phone", "")))
