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


def agents_file() -> Path:
    """Agent accounts for the console (usernames and pbkdf2 password hashes)."""
    return Path(os.environ.get("TOPUP_AGENTS_FILE", ROOT / "console_agents.yml"))


def console_session_seconds() -> int:
    return int(os.environ.get("TOPUP_CONSOLE_SESSION_MINUTES", "480")) * 60


def demo_customer_secret() -> str:
    """Only for the demo shop page; set TOPUP_CUSTOMER_TOKEN_SECRET in any real deployment."""
    return "demo-shop-secret-change-me"
