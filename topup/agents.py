"""Agent accounts (from a configuration file, passwords hashed) and signed, expiring console sessions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

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


_DUMMY_HASH = hash_password("x", salt=b"0" * 16)


class AgentDirectory:
    """The accounts in the agents file, re-read when the file changes (agents are added without a restart)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._loaded: tuple[float, dict[str, Agent]] | None = None

    def accounts(self) -> dict[str, Agent]:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if self._loaded is None or self._loaded[0] != mtime:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
            agents = {
                a["username"]: Agent(a["username"], a.get("display_name", a["username"]), a["password_hash"])
                for a in data.get("agents", [])
            }
            self._loaded = (mtime, agents)
        return self._loaded[1]

    def get(self, username: str | None) -> Agent | None:
        return self.accounts().get(username or "")

    def display_name(self, username: str | None, fallback: str = "") -> str:
        """What customers and colleagues see: 小王, not xiaowang."""
        agent = self.get(username)
        return agent.display_name if agent else (username or fallback)

    @staticmethod
    def accepts(agent: Agent, password: str) -> bool:
        return verify_password(password, agent.password_hash)

    def authenticate(self, username: str, password: str) -> Agent | None:
        agent = self.get(username)
        # Verify against a dummy hash for unknown users too, so timing does not tell which usernames exist.
        stored = agent.password_hash if agent else _DUMMY_HASH
        return agent if verify_password(password, stored) and agent else None


class ConsoleSessions:
    """Session cookies: username and expiry, signed with the console secret."""

    def __init__(self, secret: str, ttl_seconds: int, directory: AgentDirectory) -> None:
        self._secret = secret.encode()
        self.ttl_seconds = ttl_seconds
        self.directory = directory

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()

    def issue(self, username: str, ttl_s: int | None = None, now: float | None = None) -> str:
        expires = int((now or time.time()) + (ttl_s or self.ttl_seconds))
        body = f"{username}|{expires}"
        return base64.urlsafe_b64encode(f"{body}|{self._sign(body)}".encode()).decode()

    def check(self, token: str | None, now: float | None = None) -> str | None:
        """The username of a valid, unexpired session token; None otherwise."""
        if not token:
            return None
        try:
            username, expires, sig = base64.urlsafe_b64decode(token.encode()).decode().rsplit("|", 2)
            expired = int(expires) < (now or time.time())
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(self._sign(f"{username}|{expires}"), sig) or expired:
            return None
        return username if self.directory.get(username) else None
