"""Settings of the web app from environment variables, with defaults that work next to `make run`."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    rasa_url: str
    rasa_public_url: str | None
    rasa_token: str | None

    @classmethod
    def from_env(cls) -> Settings:
        """Read once at start-up so a running server never changes its mind half-way."""
        return cls(
            host=os.environ.get("WEB_HOST", "127.0.0.1"),
            port=int(os.environ.get("WEB_PORT", "8080")),
            rasa_url=os.environ.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
            # None: the browser derives it from where the widget came from (same host, port 5005).
            rasa_public_url=(os.environ.get("RASA_PUBLIC_URL") or "").rstrip("/") or None,
            rasa_token=os.environ.get("RASA_TOKEN") or None,
        )
