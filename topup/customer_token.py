"""Signed tokens a shop passes for its logged-in customers: the assistant trusts only what is signed.

The secret is TOPUP_CUSTOMER_TOKEN_SECRET: made at random per checkout in the embedded deployment (the demo
shop page signs with it), required in the scaled one. There is no built-in fallback value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Customer:
    customer_id: str
    phone: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CustomerTokens:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a customer-token secret is required")
        self._secret = secret.encode()

    def _signature(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode(), hashlib.sha256).digest())

    def sign(self, customer_id: str, phone: str, ttl_s: int = 3600, now: float | None = None) -> str:
        """What the shop's server does (the secret never reaches the browser)."""
        claims = {"sub": customer_id, "phone": phone, "exp": int((now or time.time()) + ttl_s)}
        payload = _b64(json.dumps(claims).encode())
        return f"{payload}.{self._signature(payload)}"

    def verify(self, token: object, now: float | None = None) -> Customer | None:
        """The customer a valid, unexpired token names; None for anything else."""
        if not isinstance(token, str) or token.count(".") != 1 or len(token) > 2048:
            return None
        payload, signature = token.split(".")
        if not hmac.compare_digest(self._signature(payload), signature):
            return None
        try:
            data = json.loads(_unb64(payload))
            expired = int(data.get("exp", 0)) < (now or time.time())
        except (ValueError, UnicodeDecodeError, AttributeError, TypeError):
            return None
        if not isinstance(data, dict) or expired:
            return None
        return Customer(str(data.get("sub", "")), str(data.get("phone", "")))
