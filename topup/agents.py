"""Agent accounts (from a configuration file, passwords hashed) and signed, expiring console sessions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from topup import config

ITERATIONS = 200_000


@dataclass(frozen=True)
class Agent:
    username: str
    display_name: str
    password_hash: str


def hash_password(password: str, salt: bytes | None = None) -> str:
    """pbkdf2-sha256$iterations$salt$digest (base64), the format the agents file stores."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    b64 = base64.b64encode
    return f"pbkdf2-sha256${ITERATIONS}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "pbkdf2-sha256":
        return False
    computed = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    return hmac.compare_digest(computed, base64.b64decode(digest))


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> dict[str, Agent]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        a["username"]: Agent(a["username"], a.get("display_name", a["username"]), a["password_hash"])
        for a in data.get("agents", [])
    }


def accounts(path: Path | None = None) -> dict[str, Agent]:
    path = path or config.agents_file()
    return _load(path, path.stat().st_mtime) if path.exists() else {}


def authenticate(username: str, password: str, path: Path | None = None) -> Agent | None:
    agent = accounts(path).get(username)
    # Verify against a dummy hash for unknown users too, so timing does not tell which usernames exist.
    stored = agent.password_hash if agent else hash_password("x", salt=b"0" * 16)
    return agent if verify_password(password, stored) and agent else None


def _secret() -> bytes:
    value = os.environ.get("TOPUP_CONSOLE_SECRET")
    if value:
        return value.encode()
    path = config.ROOT / "var" / "console_secret"  # generated once per installation, never committed
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip().encode()


def issue_session(username: str, ttl_s: int | None = None, now: float | None = None) -> str:
    expires = int((now or time.time()) + (ttl_s or config.console_session_seconds()))
    body = f"{username}|{expires}"
    sig = hmac.new(_secret(), body.encode(), hashlib.sha256).hexdigest()
    return base64.urlsafe_b64encode(f"{body}|{sig}".encode()).decode()


def check_session(token: str | None, now: float | None = None) -> str | None:
    """The username of a valid, unexpired session token; None otherwise."""
    if not token:
        return None
    try:
        username, expires, sig = base64.urlsafe_b64decode(token.encode()).decode().rsplit("|", 2)
    except (ValueError, UnicodeDecodeError):
        return None
    expected = hmac.new(_secret(), f"{username}|{expires}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig) or int(expires) < (now or time.time()):
        return None
    return username if username in accounts() else None
