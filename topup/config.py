"""Settings from environment variables, with working defaults for the embedded set-up."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """Orders and tickets database; SQLite file under var/ unless TOPUP_DATABASE_URL says otherwise."""
    default = f"sqlite:///{ROOT / 'var' / 'topup.db'}"
    return os.environ.get("TOPUP_DATABASE_URL", default)


def demo_data_path() -> Path:
    return Path(os.environ.get("TOPUP_DEMO_DATA", ROOT / "demo" / "orders.yml"))


def max_verify_attempts() -> int:
    return int(os.environ.get("TOPUP_MAX_VERIFY_ATTEMPTS", "3"))


def client_max_failed_lookups() -> int:
    """Failed ownership checks one client (customer id or IP) may cause, across conversations, per window."""
    return int(os.environ.get("TOPUP_CLIENT_MAX_FAILED_LOOKUPS", "10"))


def lookup_cooldown_minutes() -> int:
    """The sliding window for TOPUP_CLIENT_MAX_FAILED_LOOKUPS: failures older than this no longer count."""
    return int(os.environ.get("TOPUP_LOOKUP_COOLDOWN_MINUTES", "15"))


def agents_file() -> Path:
    """Agent accounts for the console (usernames and pbkdf2 password hashes)."""
    return Path(os.environ.get("TOPUP_AGENTS_FILE", ROOT / "console_agents.yml"))


def console_session_seconds() -> int:
    return int(os.environ.get("TOPUP_CONSOLE_SESSION_MINUTES", "480")) * 60


def demo_customer_secret() -> str:
    """Only for the demo shop page; set TOPUP_CUSTOMER_TOKEN_SECRET in any real deployment."""
    return "demo-shop-secret-change-me"


# --- Connection pool (non-SQLite databases): bounded, so a slow or dead database fails fast -------------------


def db_pool_size() -> int:
    """Connections kept open per process."""
    return int(os.environ.get("TOPUP_DB_POOL_SIZE", "5"))


def db_max_overflow() -> int:
    """Extra connections allowed above the pool size under bursts."""
    return int(os.environ.get("TOPUP_DB_MAX_OVERFLOW", "10"))


def db_pool_timeout() -> float:
    """Seconds to wait for a free pooled connection before giving up."""
    return float(os.environ.get("TOPUP_DB_POOL_TIMEOUT", "5"))


def db_pool_recycle() -> int:
    """Seconds after which a pooled connection is replaced (outlives idle timeouts of proxies and servers)."""
    return int(os.environ.get("TOPUP_DB_POOL_RECYCLE", "1800"))


def db_connect_timeout() -> int:
    """Seconds to wait while connecting to PostgreSQL (libpq's connect_timeout; it treats values below 2 as 2)."""
    return int(os.environ.get("TOPUP_DB_CONNECT_TIMEOUT", "3"))


def db_statement_timeout_ms() -> int:
    """PostgreSQL statement_timeout for request connections; 0 turns it off."""
    return int(os.environ.get("TOPUP_DB_STATEMENT_TIMEOUT_MS", "5000"))


def outbox_dir() -> Path:
    """Where handoffs wait on local disk while the database is unreachable."""
    return Path(os.environ.get("TOPUP_OUTBOX_DIR", ROOT / "var" / "outbox"))


def outbox_retry_seconds() -> float:
    return float(os.environ.get("TOPUP_OUTBOX_RETRY_SECONDS", "10"))


def action_timeout_seconds() -> float:
    """How long Rasa waits for the action server before apologising and offering a person."""
    return float(os.environ.get("TOPUP_ACTION_TIMEOUT_SECONDS", "8"))


def action_token() -> str:
    """Shared secret Rasa sends to the action server (Authorization: Bearer ...); empty disables the check."""
    return os.environ.get("TOPUP_ACTION_TOKEN", "")


def bind_host() -> str:
    """Interface our servers listen on: localhost unless an operator opens it deliberately."""
    return os.environ.get("TOPUP_BIND_HOST", "127.0.0.1")
