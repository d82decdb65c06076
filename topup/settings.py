"""Every setting of the assistant, defined once: its variable, type, default, unit and a line on what it does.

Each process (launcher, Rasa server, action server, web app, command line) reads and validates the settings
once, when it starts (``load``). A wrong value stops the start with a message naming the variable and the
form it expects; nothing reads the environment after that. docs/CONFIGURATION.md is generated from this
module (``python -m topup.settings markdown``) and a test fails when it is stale.

Secrets: in the embedded deployment every secret that the environment does not set is made once per
checkout, at random, into ``$TOPUP_STATE_DIR/secrets.env`` (readable by its owner only), so ``make run`` needs
no configuration and no two checkouts share a key. The scaled deployment (and the container) never makes
one: an unset or short secret, or agent accounts that still accept the demo password, stop the start.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
import secrets as random_secrets
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from topup.hours import BusinessHours
from topup.ratelimit import Rate

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "topup.tar.gz"  # what `make train` writes and every Rasa server loads
SECRETS_FILE = "secrets.env"
MIN_SECRET_CHARS = 16
# The demo agents' password (demo/console_agents.yml, README): fine for the embedded demo, refused elsewhere.
DEMO_AGENT_PASSWORD = "demo-agent-pass"


# What endpoints.yml expands (Settings.endpoints_environment computes each).
ENDPOINTS_VARIABLES = (
    "ENDPOINTS_ACTION_URL", "ENDPOINTS_ACTION_TOKEN", "ENDPOINTS_TRACKER_URL", "ENDPOINTS_LOCK_STORE_TYPE",
    "ENDPOINTS_LOCK_STORE_URL", "ENDPOINTS_LOCK_STORE_PORT", "ENDPOINTS_LOCK_STORE_DB",
    "ENDPOINTS_LOCK_STORE_PASSWORD",
)


class Deployment(str, Enum):
    EMBEDDED = "embedded"
    SCALED = "scaled"


class OrderSourceKind(str, Enum):
    BUILTIN = "builtin"
    DUJIAOKA = "dujiaoka"
    ACGFAKA = "acgfaka"


class LockStore(str, Enum):
    AUTO = "auto"
    MEMORY = "memory"
    REDIS = "redis"
    REDIS_STOCK = "redis-stock"


class SettingsError(ValueError):
    """Settings that cannot be used; the message names every wrong variable and what it should look like."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the settings are not valid, so nothing was started:\n" +
                         "\n".join(f"  - {p}" for p in problems) +
                         "\n(every setting is described in docs/CONFIGURATION.md)")


# --- how one variable is read -------------------------------------------------------------------------------


class _Invalid(ValueError):
    """A value of the wrong form; the text says which form is expected."""


@dataclass(frozen=True)
class Kind:
    """A type of setting: how to read it from text, how to write it back, and what the docs call it."""

    label: str
    parse: Callable[[str], Any]
    render: Callable[[Any], str] = str


def _integer(minimum: int, maximum: int | None = None) -> Kind:
    bound = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
    expected = f"a whole number {bound}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise _Invalid(expected) from None
        if value < minimum or (maximum is not None and value > maximum):
            raise _Invalid(expected)
        return value

    return Kind(f"integer {bound}", parse)


def _number(minimum: float = 0.0, inclusive: bool = False) -> Kind:
    expected = f"a number {'of at least' if inclusive else 'greater than'} {minimum:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise _Invalid(expected) from None
        if value != value or value in (float("inf"), float("-inf")):
            raise _Invalid(expected)
        if value < minimum or (value == minimum and not inclusive):
            raise _Invalid(expected)
        return value

    return Kind(f"number {'≥' if inclusive else '>'} {minimum:g}", parse, repr)  # repr: read back exactly


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _Invalid("1 or 0 (also true/false, yes/no, on/off)")


def _choice(enum: type[Enum]) -> Kind:
    names = [member.value for member in enum]

    def parse(text: str) -> Enum:
        try:
            return enum(text.strip().lower())
        except ValueError:
            raise _Invalid("one of " + ", ".join(names)) from None

    return Kind("one of " + ", ".join(f"`{n}`" for n in names), parse, lambda v: v.value)


def _rate(text: str) -> Rate | None:
    try:
        return Rate.parse(text)
    except ValueError:
        raise _Invalid("count/seconds such as 20/10, or off") from None


def _zone(text: str) -> str:
    try:
        ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise _Invalid("a time zone name such as Asia/Shanghai") from None
    return text.strip()


def _hours(text: str) -> BusinessHours:
    start, sep, end = text.strip().partition("-")
    try:
        window = BusinessHours(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
    except ValueError:
        raise _Invalid("HH:MM-HH:MM such as 09:00-22:00") from None
    if not sep or window.end <= window.start:
        raise _Invalid("HH:MM-HH:MM such as 09:00-22:00, the end after the start")
    return window


def _url(schemes: tuple[str, ...], allow_empty: bool = False) -> Kind:
    expected = "a URL starting with " + " or ".join(f"{s}://" for s in schemes) + (", or empty" if allow_empty else "")

    def parse(text: str) -> str:
        value = text.strip()
        if not value and allow_empty:
            return ""
        scheme, sep, rest = value.partition("://")
        if not sep or not rest or scheme.split("+")[0].lower() not in schemes:
            raise _Invalid(expected)
        return value.rstrip("/") if scheme.startswith("http") else value

    return Kind("URL (" + ", ".join(f"`{s}://`" for s in schemes) + (", or empty" if allow_empty else "") + ")",
                parse)


def _path(text: str) -> Path:
    value = Path(text.strip()).expanduser()
    return value if value.is_absolute() else ROOT / value


def _text(text: str) -> str:
    return text.strip()


def _secret(text: str) -> str:
    value = text.strip()
    if len(value) < MIN_SECRET_CHARS:
        raise _Invalid(f"a random string of at least {MIN_SECRET_CHARS} characters "
                       "(make one: python -m topup.settings new-secret)")
    return value


INTEGER = _integer(1)
PORT = _integer(1, 65535)
SECONDS = _number()
BOOLEAN = Kind("boolean (1/0)", _boolean, lambda v: "1" if v else "0")
RATE = Kind("rate: count/seconds, or `off`", _rate, lambda v: f"{v.count}/{v.seconds!r}" if v else "off")
ZONE = Kind("time zone name", _zone)
HOURS = Kind("HH:MM-HH:MM", _hours)
PATH = Kind("path (relative to the checkout)", _path, lambda v: str(v))
TEXT = Kind("text", _text)
SECRET = Kind("secret (≥ 16 characters)", _secret)
DATABASE_URL = _url(("sqlite", "postgresql", "mysql"))
REDIS_URL = _url(("redis", "rediss"), allow_empty=True)
SOURCE_URL = _url(("mysql", "postgresql"), allow_empty=True)


def _secret_or_empty(text: str) -> str:
    return _secret(text) if text.strip() else ""


SECRET_OR_EMPTY = Kind(f"secret (≥ {MIN_SECRET_CHARS} characters), or empty", _secret_or_empty)
HTTP_URL = _url(("http", "https"))
HTTP_URL_OR_EMPTY = _url(("http", "https"), allow_empty=True)


# --- the settings --------------------------------------------------------------------------------------------

Resolved = Mapping[str, Any]  # what is already known while later defaults are worked out (field order)


@dataclass(frozen=True)
class Default:
    """A default: a value, or one computed from the settings read before it; `doc` is what the docs show."""

    doc: str
    value: Any = None
    compute: Callable[[Resolved], Any] | None = None

    def __call__(self, known: Resolved) -> Any:  # noqa: ANN401 - a setting's value
        return self.compute(known) if self.compute else self.value


def fixed(value: Any, doc: str | None = None) -> Default:  # noqa: ANN401
    return Default(doc if doc is not None else (str(value) if value not in (None, "") else "(empty)"), value)


def by_mode(embedded: Callable[[Resolved], Any], scaled: Callable[[Resolved], Any], doc: str) -> Default:
    def compute(known: Resolved) -> Any:  # noqa: ANN401
        return (scaled if known["deployment"] is Deployment.SCALED else embedded)(known)

    return Default(doc, compute=compute)


def connect_host(bind_host: str) -> str:
    """The address to reach a server on that listens on `bind_host` (a wildcard is reached on loopback)."""
    return "127.0.0.1" if bind_host in ("", "0.0.0.0", "::", "[::]") else bind_host


def _action_host(known: Resolved) -> str:
    return "127.0.0.1" if known["deployment"] is Deployment.SCALED else connect_host(known["bind_host"])


def _in_state(name: str, scheme: str = "sqlite:///") -> Callable[[Resolved], Any]:
    return lambda known: f"{scheme}{known['state_dir'] / name}" if scheme else known["state_dir"] / name


def setting(env: str, kind: Kind, default: Default, doc: str, unit: str = "", group: str = "",
            secret: bool = False, hidden: bool = False) -> Any:  # noqa: ANN401 - a dataclass field
    # A secret is left out of repr(): a settings object in a traceback, an assertion or a log shows no key.
    # `hidden`: an optional value that may hold a key (a webhook token, a URL with a password), never generated.
    return field(metadata={"spec": Spec(env, kind, default, doc, unit, group, secret, hidden)},
                 repr=not (secret or hidden))


@dataclass(frozen=True)
class Spec:
    env: str
    kind: Kind
    default: Default
    doc: str
    unit: str
    group: str
    secret: bool
    hidden: bool = False


PLACES, SOURCE, NETWORK, SECRETS, CONVERSATION, TIMEOUTS, DATABASE, TUNING = (
    "Deployment and places",
    "Your platform's orders (docs/PLATFORMS.md)", "Processes and network", "Secrets", "Conversation and limits",
    "Timeouts and the handoff outbox", "Database connection pool", "Performance tuning",
)


@dataclass(frozen=True)
class Settings:
    """The assistant's configuration, typed and validated; one instance per process, never changed."""

    deployment: Deployment = setting(
        "TOPUP_DEPLOYMENT", _choice(Deployment), fixed(Deployment.EMBEDDED, "embedded"),
        "`embedded`: one machine, SQLite, nothing else to install. `scaled`: PostgreSQL and Redis, several Rasa "
        "and action servers behind nginx; secrets must be set.", group=PLACES)
    state_dir: Path = setting(
        "TOPUP_STATE_DIR", PATH, fixed(ROOT / "var", "var"),
        "Where this installation keeps its files: SQLite databases, generated secrets, logs, queued handoffs.",
        group=PLACES)
    database_url: str = setting(
        "TOPUP_DATABASE_URL", DATABASE_URL,
        by_mode(_in_state("topup.db"), lambda k: "postgresql+psycopg2://postgres@127.0.0.1:5432/topup",
                "embedded: `sqlite:///var/topup.db`; scaled: `postgresql+psycopg2://postgres@127.0.0.1:5432/topup`"),
        "Orders, notices, tickets and security events (any SQLAlchemy URL).", group=PLACES)
    tracker_url: str = setting(
        "TOPUP_TRACKER_URL", DATABASE_URL,
        by_mode(_in_state("tracker.db"), lambda k: "postgresql://postgres@127.0.0.1:5432/topup_tracker",
                "embedded: `sqlite:///var/tracker.db`; scaled: `postgresql://postgres@127.0.0.1:5432/topup_tracker`"),
        "Rasa's tracker store: every conversation's events.", group=PLACES)
    lock_store_url: str = setting(
        "TOPUP_LOCK_STORE_URL", REDIS_URL,
        by_mode(lambda k: "", lambda k: "redis://127.0.0.1:6379/1", "embedded: empty; scaled: `redis://127.0.0.1:6379/1`"),
        "Redis that locks each conversation across Rasa servers; empty: locks in the Rasa process's memory.",
        group=PLACES)
    lock_store: LockStore = setting(
        "TOPUP_LOCK_STORE", _choice(LockStore), fixed(LockStore.AUTO, "auto"),
        "`auto`: Redis when TOPUP_LOCK_STORE_URL is set, else memory. `redis-stock` is Rasa's own RedisLockStore, "
        "which loses tickets under concurrency: only for comparing.", group=PLACES)
    redis_url: str = setting(
        "TOPUP_REDIS_URL", REDIS_URL,
        by_mode(lambda k: "", lambda k: "redis://127.0.0.1:6379/2", "embedded: empty; scaled: `redis://127.0.0.1:6379/2`"),
        "Redis shared by all servers for rate limits and socket.io messages; empty: each process counts alone.",
        group=PLACES)
    demo_orders: bool = setting(
        "TOPUP_DEMO_ORDERS", BOOLEAN, by_mode(lambda k: True, lambda k: False, "embedded: 1; scaled: 0"),
        "Load the demo orders and notice (TOPUP_DEMO_DATA) when the run command starts.", group=PLACES)
    demo_data: Path = setting(
        "TOPUP_DEMO_DATA", PATH, fixed(ROOT / "demo" / "orders.yml", "demo/orders.yml"),
        "The demo orders and notices, with times relative to loading.", group=PLACES)
    agents_file: Path = setting(
        "TOPUP_AGENTS_FILE", PATH, fixed(ROOT / "demo" / "console_agents.yml", "demo/console_agents.yml"),
        "Agent accounts of the console (usernames, display names, pbkdf2 hashes: python -m topup.cli "
        "hash-password). The demo accounts are refused in the scaled deployment.", group=PLACES)
    attachments_dir: Path = setting(
        "TOPUP_ATTACHMENTS_DIR", PATH, Default("`$TOPUP_STATE_DIR/attachments`", compute=_in_state("attachments",
                                                                                                   scheme="")),
        "Images customers and agents send in the chat, outside the web root under random names; the web app "
        "reads and writes it (several web apps: one folder they all share).", group=PLACES)

    order_source: OrderSourceKind = setting(
        "TOPUP_ORDER_SOURCE", _choice(OrderSourceKind), fixed(OrderSourceKind.BUILTIN, "builtin"),
        "Where orders are read: `builtin` (this project's tables in TOPUP_DATABASE_URL: the demo), `dujiaoka` "
        "(独角数卡) or `acgfaka` (异次元发卡), read-only from TOPUP_ORDER_SOURCE_URL.", group=SOURCE)
    order_source_url: str = setting(
        "TOPUP_ORDER_SOURCE_URL", SOURCE_URL, fixed(""),
        "The platform's database, as a read-only user: `mysql+pymysql://user:password@host:3306/db` (acg-faka also "
        "`postgresql://…`). Empty with `builtin`.", group=SOURCE, hidden=True)
    order_source_prefix: str = setting(
        "TOPUP_ORDER_SOURCE_PREFIX", Kind("table prefix (letters, digits, _)", lambda t: _table_prefix(t)),
        Default("dujiaoka: empty; acgfaka: `acg_`", compute=lambda k: "acg_" if k.get("order_source")
                is OrderSourceKind.ACGFAKA else ""),
        "The platform's table prefix (Laravel's DB_PREFIX, acg-faka's install prefix).", group=SOURCE)
    order_source_timezone: str = setting(
        "TOPUP_ORDER_SOURCE_TIMEZONE", ZONE, fixed("", "TOPUP_TIMEZONE"),
        "The zone the platform writes its times in (PHP's timezone setting).", group=SOURCE)
    order_source_timeout_ms: int = setting(
        "TOPUP_ORDER_SOURCE_TIMEOUT_MS", _integer(100, 60000), fixed(2000),
        "Longest a query on the platform's database may run (server-side limit and client read timeout).", "ms",
        SOURCE)
    order_poll_seconds: float = setting(
        "TOPUP_ORDER_POLL_SECONDS", _number(0, inclusive=True), fixed(20.0, "20"),
        "How often the orders of open conversations are checked for a change the customer should hear about "
        "(0: never; the webhook still works).", "seconds", SOURCE)
    order_watch_hours: float = setting(
        "TOPUP_ORDER_WATCH_HOURS", _number(0.1), fixed(24.0, "24"),
        "How long after it was looked up an order is still watched for changes.", "hours", SOURCE)
    order_webhook_secret: str = setting(
        "TOPUP_ORDER_WEBHOOK_SECRET", SECRET_OR_EMPTY, fixed(""),
        "Turns on POST /hooks/order (the platform tells the assistant an order changed): the token it must send. "
        "Empty: no webhook.", group=SOURCE, hidden=True)
    platform_tickets_url: str = setting(
        "TOPUP_PLATFORM_TICKETS_URL", SOURCE_URL, fixed(""),
        "acg-faka only: also write each handoff of a member's order into the platform's own `acg_ticket`, as a "
        "user allowed to INSERT there and into `acg_ticket_message`. Empty: tickets stay in the console only.",
        group=SOURCE, hidden=True)

    bind_host: str = setting(
        "TOPUP_BIND_HOST", TEXT, fixed("127.0.0.1"),
        "Interface every server listens on; localhost unless you open it on purpose.", group=NETWORK)
    rasa_port: int = setting(
        "TOPUP_RASA_PORT", PORT, fixed(5005), "Rasa's channels and HTTP API (scaled: nginx in front of them).",
        "port", NETWORK)
    action_port: int = setting(
        "TOPUP_ACTION_PORT", PORT, fixed(5055), "The action server (scaled: nginx in front of them).", "port",
        NETWORK)
    web_port: int = setting(
        "TOPUP_WEB_PORT", PORT, fixed(8080), "Chat page, widget and agent console (scaled: nginx in front).",
        "port", NETWORK)
    rasa_servers: int = setting(
        "TOPUP_RASA_SERVERS", _integer(1, 16), by_mode(lambda k: 1, lambda k: 2, "embedded: 1; scaled: 2"),
        "Rasa servers the run command starts (more than 1 only in the scaled deployment).", "processes", NETWORK)
    action_servers: int = setting(
        "TOPUP_ACTION_SERVERS", _integer(1, 16), by_mode(lambda k: 1, lambda k: 2, "embedded: 1; scaled: 2"),
        "Action servers the run command starts (more than 1 only in the scaled deployment).", "processes",
        NETWORK)
    rasa_workers: int = setting(
        "TOPUP_RASA_WORKERS", _integer(1, 16), fixed(1),
        "Sanic worker processes per Rasa server; more than 1 needs the Redis lock store.", "processes", NETWORK)
    trusted_proxies: int = setting(
        "TOPUP_TRUSTED_PROXIES", _integer(0, 5), fixed(0),
        "Proxies in front of the Rasa servers and the web app whose X-Forwarded-For gives the client's address "
        "(rate limits, lookup limits, console sign-in limits); the launcher sets 1 behind its nginx.", "hops",
        NETWORK)
    action_url: str = setting(
        "TOPUP_ACTION_URL", HTTP_URL,
        Default("`http://$host:$TOPUP_ACTION_PORT/webhook` ($host: TOPUP_BIND_HOST, or 127.0.0.1 when that is a "
                "wildcard or the deployment is scaled)", compute=lambda k: f"http://{_action_host(k)}:"
                                                                            f"{k['action_port']}/webhook"),
        "Where Rasa calls the action server (scaled: nginx, which listens for it on 127.0.0.1 only).", group=NETWORK)
    rasa_url: str = setting(
        "TOPUP_RASA_URL", HTTP_URL, Default("`http://$host:$TOPUP_RASA_PORT`",
                                            compute=lambda k: f"http://{connect_host(k['bind_host'])}:{k['rasa_port']}"),
        "Where the web app reaches Rasa's HTTP API (to tell a conversation an agent joined, replied, left).",
        group=NETWORK)
    rasa_public_url: str = setting(
        "TOPUP_RASA_PUBLIC_URL", HTTP_URL_OR_EMPTY, fixed("", "empty: the widget's own host on TOPUP_RASA_PORT"),
        "Where customers' browsers reach Rasa's socket.io channel.", group=NETWORK)

    action_token: str = setting(
        "TOPUP_ACTION_TOKEN", SECRET, fixed(None, "embedded: generated; scaled: required"),
        "Shared secret Rasa sends to the action server (Authorization: Bearer).", group=SECRETS, secret=True)
    rasa_token: str = setting(
        "TOPUP_RASA_TOKEN", SECRET, fixed(None, "embedded: generated; scaled: required"),
        "Token of Rasa's HTTP API (`?token=`); the web app uses it to run the takeover actions.", group=SECRETS,
        secret=True)
    console_secret: str = setting(
        "TOPUP_CONSOLE_SECRET", SECRET, fixed(None, "embedded: generated; scaled: required"),
        "Signs the agent console's session cookies.", group=SECRETS, secret=True)
    customer_token_secret: str = setting(
        "TOPUP_CUSTOMER_TOKEN_SECRET", SECRET, fixed(None, "embedded: generated; scaled: required"),
        "Signs the tokens a shop passes for its signed-in customers (topup/customer_token.py); the demo shop "
        "page signs with the same value.", group=SECRETS, secret=True)

    timezone: str = setting(
        "TOPUP_TIMEZONE", ZONE, fixed("Asia/Shanghai"), "The platform's time zone: times shown to customers and "
        "agents, business hours.", group=CONVERSATION)
    business_hours: BusinessHours = setting(
        "TOPUP_BUSINESS_HOURS", HOURS, fixed(BusinessHours(time(9), time(22)), "09:00-22:00"),
        "When agents are on duty (in TOPUP_TIMEZONE); outside them customers are told when to expect a reply.",
        "HH:MM-HH:MM", CONVERSATION)
    max_verify_attempts: int = setting(
        "TOPUP_MAX_VERIFY_ATTEMPTS", INTEGER, fixed(3),
        "Failed ownership checks in one conversation before it stops looking orders up.", "attempts",
        CONVERSATION)
    client_max_failed_lookups: int = setting(
        "TOPUP_CLIENT_MAX_FAILED_LOOKUPS", INTEGER, fixed(60),
        "Failed ownership checks one client (signed customer, else address) may cause across conversations "
        "within TOPUP_LOOKUP_COOLDOWN_MINUTES: a ceiling on guessing from one place, high enough that many "
        "customers behind one carrier or office address never reach it with their typos.", "attempts",
        CONVERSATION)
    order_max_failed_lookups: int = setting(
        "TOPUP_ORDER_MAX_FAILED_LOOKUPS", INTEGER, fixed(5),
        "Failed ownership checks against one order number, from anywhere, within TOPUP_LOOKUP_COOLDOWN_MINUTES; "
        "past it that order is not checked (the customer is offered a person).", "attempts", CONVERSATION)
    contact_phone: str = setting(
        "TOPUP_CONTACT_PHONE", TEXT, fixed("", "empty: customers are told to ask for a person here"),
        "The platform's customer-service phone number customers are given when they ask how to reach a person.",
        group=CONVERSATION)
    lookup_cooldown_minutes: int = setting(
        "TOPUP_LOOKUP_COOLDOWN_MINUTES", INTEGER, fixed(15),
        "The window of TOPUP_CLIENT_MAX_FAILED_LOOKUPS: older failures no longer count.", "minutes", CONVERSATION)
    max_message_chars: int = setting(
        "TOPUP_MAX_MESSAGE_CHARS", _integer(20, 100_000), fixed(1000),
        "Characters of one customer message that are read; the customer is told when a message was cut.",
        "characters", CONVERSATION)
    attachment_max_bytes: int = setting(
        "TOPUP_ATTACHMENT_MAX_BYTES", _integer(64 * 1024, 25 * 1024 * 1024), fixed(8 * 1024 * 1024, "8388608 (8 MB)"),
        "Largest image a customer or an agent may send (PNG, JPEG, WebP); larger ones are refused before they are "
        "read whole. At most 25 MB, below the 32 MB nginx lets through.", "bytes", CONVERSATION)
    chat_rate: Rate | None = setting(
        "TOPUP_CHAT_RATE", RATE, fixed(Rate(20, 10), "20/10"),
        "Messages per conversation within the window.", "count/seconds", CONVERSATION)
    chat_ip_rate: Rate | None = setting(
        "TOPUP_CHAT_IP_RATE", RATE, fixed(Rate(300, 60), "300/60"),
        "Messages per client address within the window, all its conversations together.", "count/seconds",
        CONVERSATION)
    login_rate: Rate | None = setting(
        "TOPUP_LOGIN_RATE", RATE, fixed(Rate(5, 300), "5/300"),
        "Console sign-in attempts per address and username; a successful sign-in clears them.", "count/seconds",
        CONVERSATION)
    console_session_minutes: int = setting(
        "TOPUP_CONSOLE_SESSION_MINUTES", INTEGER, fixed(480), "How long an agent stays signed in.", "minutes",
        CONVERSATION)

    action_timeout_seconds: float = setting(
        "TOPUP_ACTION_TIMEOUT_SECONDS", SECONDS, fixed(2.5),
        "How long Rasa waits for the action server before it apologises, offers a person and keeps what the "
        "customer gave.", "seconds", TIMEOUTS)
    action_db_seconds: float = setting(
        "TOPUP_ACTION_DB_SECONDS", SECONDS, fixed(1.8),
        "How long an action waits for the database within a turn before it answers without it (a handoff is "
        "then queued on disk); less than TOPUP_ACTION_TIMEOUT_SECONDS.", "seconds", TIMEOUTS)
    outbox_dir: Path = setting(
        "TOPUP_OUTBOX_DIR", PATH, Default("`$TOPUP_STATE_DIR/outbox`", compute=_in_state("outbox", scheme="")),
        "Handoffs waiting for the database (shared by every action server of a machine).", group=TIMEOUTS)
    outbox_retry_seconds: float = setting(
        "TOPUP_OUTBOX_RETRY_SECONDS", SECONDS, fixed(10.0, "10"), "How often queued handoffs are retried.",
        "seconds", TIMEOUTS)

    db_pool_size: int = setting(
        "TOPUP_DB_POOL_SIZE", INTEGER, fixed(5), "Connections kept per process (server databases).", "connections",
        DATABASE)
    db_max_overflow: int = setting(
        "TOPUP_DB_MAX_OVERFLOW", _integer(0), fixed(10), "Extra connections allowed under bursts.", "connections",
        DATABASE)
    db_pool_timeout: float = setting(
        "TOPUP_DB_POOL_TIMEOUT", SECONDS, fixed(5.0, "5"), "Wait for a free pooled connection.", "seconds",
        DATABASE)
    db_pool_recycle: int = setting(
        "TOPUP_DB_POOL_RECYCLE", INTEGER, fixed(1800), "Replace connections older than this.", "seconds", DATABASE)
    db_connect_timeout: int = setting(
        "TOPUP_DB_CONNECT_TIMEOUT", INTEGER, fixed(3),
        "PostgreSQL connect timeout (libpq counts values below 2 as 2).", "seconds", DATABASE)
    db_statement_timeout_ms: int = setting(
        "TOPUP_DB_STATEMENT_TIMEOUT_MS", _integer(0), fixed(5000),
        "PostgreSQL statement_timeout of the app's connections (0: none; migrations have none).", "ms", DATABASE)

    tracker_cache_size: int = setting(
        "TOPUP_TRACKER_CACHE_SIZE", INTEGER, fixed(5000),
        "Conversations each Rasa server keeps in memory between their messages.", "conversations", TUNING)
    rule_replays: int = setting(
        "TOPUP_RULE_REPLAYS", INTEGER, fixed(1000), "Conversations whose rule-policy replay is kept.",
        "conversations", TUNING)
    action_event_cache: int = setting(
        "TOPUP_ACTION_EVENT_CACHE", INTEGER, fixed(500),
        "Conversations whose lean action-call events are kept.", "conversations", TUNING)
    gc_freeze: bool = setting(
        "TOPUP_GC_FREEZE", BOOLEAN, fixed(True, "1"),
        "Move the loaded model out of the garbage collector's way (0 keeps it collected).", group=TUNING)
    lock_poll_seconds: float = setting(
        "TOPUP_LOCK_POLL_SECONDS", SECONDS, fixed(0.02), "How often a message waiting for its conversation's "
        "Redis lock checks again.", "seconds", TUNING)
    strict_action_responses: bool = setting(
        "TOPUP_STRICT_ACTION_RESPONSES", BOOLEAN, fixed(False, "0"),
        "Check action answers against Rasa's whole schema instead of their shape.", group=TUNING)

    # --- derived views ---------------------------------------------------------------------------------------

    @property
    def scaled(self) -> bool:
        return self.deployment is Deployment.SCALED

    @property
    def secrets_path(self) -> Path:
        return self.state_dir / SECRETS_FILE

    @property
    def effective_lock_store(self) -> LockStore:
        if self.lock_store is LockStore.AUTO:
            return LockStore.REDIS if self.lock_store_url else LockStore.MEMORY
        return self.lock_store

    def endpoints_environment(self) -> dict[str, str]:
        """The variables endpoints.yml expands, computed from these settings (never set by hand).

        Our lock store takes the whole Redis URL (user, password, TLS and database included). Rasa's stock one,
        kept only for comparison, takes a host, a port, a database and a password, decoded here."""
        from urllib.parse import unquote, urlsplit

        lock = self.effective_lock_store
        parts = urlsplit(self.lock_store_url) if self.lock_store_url else None
        stock = lock is LockStore.REDIS_STOCK and parts is not None
        return {
            "ENDPOINTS_ACTION_URL": self.action_url,
            "ENDPOINTS_ACTION_TOKEN": self.action_token,
            "ENDPOINTS_TRACKER_URL": self.tracker_url,
            "ENDPOINTS_LOCK_STORE_TYPE": {LockStore.MEMORY: "in_memory", LockStore.REDIS_STOCK: "redis"}.get(
                lock, "rasa_plugins.lock_store.AtomicRedisLockStore"),
            "ENDPOINTS_LOCK_STORE_URL": (parts.hostname or "127.0.0.1") if stock else (self.lock_store_url or ""),
            "ENDPOINTS_LOCK_STORE_PORT": str(parts.port or 6379) if stock else "6379",
            "ENDPOINTS_LOCK_STORE_DB": (parts.path.strip("/") or "0") if stock else "0",
            "ENDPOINTS_LOCK_STORE_PASSWORD": unquote(parts.password or "") if stock else "",
        }

    def environment(self) -> dict[str, str]:
        """Every setting as the variable that gives it this value: what a child process is started with."""
        out = {}
        for spec, name in _specs():
            value = getattr(self, name)
            if value is None:  # a rate switched off; the empty string would mean "the default" to a child
                out[spec.env] = "off" if spec.kind is RATE else ""
            else:
                out[spec.env] = spec.kind.render(value)
        return out

    def replace(self, **changes: Any) -> Settings:  # noqa: ANN401
        """A copy with some values changed (tests); the values are taken as given."""
        return dataclasses.replace(self, **changes)


def _specs() -> Iterator[tuple[Spec, str]]:
    for item in dataclasses.fields(Settings):
        yield item.metadata["spec"], item.name


def specs() -> list[tuple[str, Spec]]:
    return [(name, spec) for spec, name in _specs()]


# --- reading -------------------------------------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (blank lines and # comments skipped, optional quotes around the value)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _without_password(text: str) -> str:
    """A value as an error message may show it: the password of a URL (scheme://user:password@host) hidden."""
    return re.sub(r"(://[^:/@\s]*:)[^@/\s]*@", r"\1***@", text)


def new_secret() -> str:
    """32 random bytes, URL-safe; never starting with "-", which command lines would read as an option."""
    while True:
        value = random_secrets.token_urlsafe(32)
        if not value.startswith("-"):
            return value


def _generated_secrets(path: Path, names: list[str]) -> dict[str, str]:
    """The checkout's generated secrets, making (once, under a lock) any of `names` the file lacks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        known = read_env_file(path) if path.exists() else {}
        missing = [name for name in names if len(known.get(name, "")) < MIN_SECRET_CHARS]
        if missing:
            known.update({name: new_secret() for name in missing})
            temporary = path.with_name(f".{path.name}.{os.getpid()}")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write("# Made once for this checkout by topup.settings; never commit or share it.\n")
                handle.writelines(f"{name}={value}\n" for name, value in sorted(known.items()))
            os.replace(temporary, path)
        return known


# Not settings, but read by name: documented with the settings (docs/CONFIGURATION.md, "Not settings").
NOT_SETTINGS = {
    "TOPUP_ENV_FILE": "a file of KEY=VALUE lines read underneath the environment (the environment wins)",
    "TOPUP_REQUIRE_SERVICES": "the test command sets 1: tests that need PostgreSQL, Redis or nginx fail rather "
                              "than skip when one is missing",
}
# Variables earlier versions read, and what replaced them: an operator who still sets one is told.
RENAMED = {
    "RASA_TOKEN": "TOPUP_RASA_TOKEN", "RASA_URL": "TOPUP_RASA_URL", "RASA_PUBLIC_URL": "TOPUP_RASA_PUBLIC_URL",
    "RASA_PORT": "TOPUP_RASA_PORT", "ACTION_PORT": "TOPUP_ACTION_PORT", "WEB_PORT": "TOPUP_WEB_PORT",
    "WEB_HOST": "TOPUP_BIND_HOST", "ACTION_ENDPOINT_URL": "TOPUP_ACTION_URL", "TRACKER_DIALECT": "TOPUP_TRACKER_URL",
    "TRACKER_HOST": "TOPUP_TRACKER_URL", "TRACKER_DB": "TOPUP_TRACKER_URL", "LOCK_STORE_TYPE": "TOPUP_LOCK_STORE",
    "LOCK_STORE_HOST": "TOPUP_LOCK_STORE_URL", "LOCK_STORE_PORT": "TOPUP_LOCK_STORE_URL",
    "LOCK_STORE_DB": "TOPUP_LOCK_STORE_URL", "PG_HOST": "TOPUP_DATABASE_URL", "PG_PORT": "TOPUP_DATABASE_URL",
    "PG_USER": "TOPUP_DATABASE_URL",
}


def _unknown(env: Mapping[str, str]) -> list[str]:
    """TOPUP_* names that are no setting (a typo would silently leave the default), and old names still set."""
    import difflib

    known = {spec.env for _, spec in specs()} | set(NOT_SETTINGS)
    problems = []
    for name in sorted(env):
        if name.startswith("TOPUP_") and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            problems.append(f"{name} is not a setting" + (f" (did you mean {close[0]}?)" if close else ""))
        elif name in RENAMED and env[name].strip() and RENAMED[name] not in env:
            problems.append(f"{name} is no longer read: set {RENAMED[name]} instead")
    return problems


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; SettingsError names each one that is wrong.

    `environ` defaults to the process environment. TOPUP_ENV_FILE may name a file of KEY=VALUE lines read
    underneath it (the environment wins): the place for a deployment's secrets.
    """
    env = dict(os.environ if environ is None else environ)
    problems: list[str] = []
    env_file = env.get("TOPUP_ENV_FILE", "").strip()
    if env_file:
        try:
            env = {**read_env_file(_path(env_file)), **env}
        except OSError as error:
            problems.append(f"TOPUP_ENV_FILE={env_file}: cannot be read ({error.strerror})")
    values: dict[str, Any] = {}
    unset_secrets: list[tuple[str, Spec]] = []
    for name, spec in specs():
        raw = env.get(spec.env)
        if spec.secret and (raw is None or not raw.strip()):
            unset_secrets.append((name, spec))
            values[name] = None
            continue
        if raw is None or (not raw.strip() and spec.kind is not REDIS_URL and spec.kind is not HTTP_URL_OR_EMPTY):
            try:
                values[name] = spec.default(values)
            except (KeyError, TypeError):  # a default that needs a setting which was wrong itself
                values[name] = None
            continue
        try:
            values[name] = spec.kind.parse(raw)
        except _Invalid as invalid:
            shown = "<hidden>" if spec.secret or spec.hidden else _without_password(raw)
            unit = f" ({spec.unit})" if spec.unit and spec.unit not in str(invalid) else ""
            problems.append(f"{spec.env}={shown}: expected {invalid}{unit}")
            values[name] = None
    deployment = values.get("deployment")
    if unset_secrets:
        if deployment is Deployment.SCALED:
            for _, spec in unset_secrets:
                problems.append(f"{spec.env} is not set: the scaled deployment never makes secrets up "
                                "(make one: python -m topup.settings new-secret)")
        elif values.get("state_dir") is not None:
            try:
                generated = _generated_secrets(values["state_dir"] / SECRETS_FILE, [s.env for _, s in unset_secrets])
            except OSError as error:
                problems.append(f"TOPUP_STATE_DIR={values['state_dir']}: cannot keep the generated secrets there "
                                f"({error.strerror})")
            else:
                for name, spec in unset_secrets:
                    values[name] = generated[spec.env]
    problems += _consistency(values) + _unknown(env)
    if problems:
        raise SettingsError(problems)
    return Settings(**values)


def _table_prefix(text: str) -> str:
    value = text.strip()
    if not re.fullmatch(r"[A-Za-z0-9_]{0,32}", value):
        raise _Invalid("letters, digits and _ only (at most 32)")
    return value


def _source_problems(values: dict[str, Any]) -> list[str]:
    """The order source and its URL agree: a platform needs its database, the built-in schema none."""
    source, url = values.get("order_source"), values.get("order_source_url")
    if source is None or url is None:
        return []
    if source is OrderSourceKind.BUILTIN:
        return ["TOPUP_ORDER_SOURCE_URL is set but TOPUP_ORDER_SOURCE is builtin: set TOPUP_ORDER_SOURCE=dujiaoka "
                "or acgfaka, or leave the URL empty"] if url else []
    if not url:
        return [f"TOPUP_ORDER_SOURCE={source.value} needs TOPUP_ORDER_SOURCE_URL (the platform's database, e.g. "
                "mysql+pymysql://readonly:password@127.0.0.1:3306/dujiaoka)"]
    from sqlalchemy.engine.url import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return [f"TOPUP_ORDER_SOURCE_URL={_without_password(url)}: not a database URL "
                "(mysql+pymysql://user:password@host:3306/database)"]
    problems = []
    if not parsed.database:
        problems.append(f"TOPUP_ORDER_SOURCE_URL={_without_password(url)}: names no database (…/database at the end)")
    if parsed.get_backend_name() == "mysql" and parsed.get_driver_name() not in ("pymysql",):
        problems.append(f"TOPUP_ORDER_SOURCE_URL={_without_password(url)}: use the PyMySQL driver "
                        "(mysql+pymysql://…)")
    if source is OrderSourceKind.DUJIAOKA and parsed.get_backend_name() != "mysql":
        problems.append("TOPUP_ORDER_SOURCE=dujiaoka: dujiaoka runs on MySQL/MariaDB only (mysql+pymysql://…)")
    if values.get("platform_tickets_url") and source is not OrderSourceKind.ACGFAKA:
        problems.append("TOPUP_PLATFORM_TICKETS_URL: only acg-faka has a ticket table of its own")
    return problems


def _consistency(values: dict[str, Any]) -> list[str]:
    """What no single value shows: settings that contradict each other, and the scaled deployment's rules."""
    problems = _source_problems(values)
    action, database = values.get("action_timeout_seconds"), values.get("action_db_seconds")
    if action is not None and database is not None and database >= action:
        problems.append(f"TOPUP_ACTION_DB_SECONDS={database:g}: expected less than "
                        f"TOPUP_ACTION_TIMEOUT_SECONDS ({action:g}), so the action answers before Rasa gives up")
    lock_url, lock_store = values.get("lock_store_url"), values.get("lock_store")
    if (values.get("rasa_workers") or 1) > 1 and not lock_url:
        problems.append("TOPUP_RASA_WORKERS > 1 needs TOPUP_LOCK_STORE_URL: Rasa runs several workers only on a "
                        "shared lock store")
    if lock_store in (LockStore.REDIS, LockStore.REDIS_STOCK) and not lock_url:
        problems.append(f"TOPUP_LOCK_STORE={lock_store.value} needs TOPUP_LOCK_STORE_URL")
    if values.get("deployment") is Deployment.EMBEDDED:
        for key, env in (("rasa_servers", "TOPUP_RASA_SERVERS"), ("action_servers", "TOPUP_ACTION_SERVERS")):
            if (values.get(key) or 1) > 1:
                problems.append(f"{env}={values[key]}: several servers need TOPUP_DEPLOYMENT=scaled "
                                "(shared databases, Redis and nginx)")
    if values.get("deployment") is Deployment.SCALED and values.get("agents_file") is not None:
        problems += _demo_accounts(values["agents_file"])
    return problems


def _demo_accounts(path: Path) -> list[str]:
    from topup.agents import AgentDirectory

    try:
        directory = AgentDirectory(path)
        accounts = directory.accounts()
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"TOPUP_AGENTS_FILE={path}: cannot be read ({error})"]
    if not accounts:
        return [f"TOPUP_AGENTS_FILE={path}: holds no agent accounts (add one: python -m topup.cli hash-password)"]
    demo = [name for name, agent in accounts.items() if directory.accepts(agent, DEMO_AGENT_PASSWORD)]
    if demo:
        return [f"TOPUP_AGENTS_FILE={path}: {', '.join(demo)} still sign in with the demo password; the scaled "
                "deployment refuses it (new hashes: python -m topup.cli hash-password)"]
    return []


_current: Settings | None = None


def current() -> Settings:
    """This process's settings, read and checked on first use (entry points call `load` themselves first)."""
    global _current
    if _current is None:
        _current = load()
    return _current


def start(process: str) -> Settings:
    """An entry point's first step: the settings read and checked, and installed as the process's. On a wrong
    value: the message on stderr, exit status 2, nothing started."""
    try:
        settings = load()
    except SettingsError as error:
        print(f"{process}: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    install(settings)
    return settings


def install(settings: Settings | None) -> None:
    """Make these the process's settings (an entry point after `load`, or a test)."""
    global _current
    _current = settings


# --- the docs ------------------------------------------------------------------------------------------------


def markdown() -> str:
    """docs/CONFIGURATION.md, from the definitions above."""
    lines = [
        "# Configuration",
        "",
        "<!-- Generated by `python -m topup.settings markdown > docs/CONFIGURATION.md`; edit topup/settings.py. -->",
        "",
        "Every setting is an environment variable, read and checked once when a process starts. A wrong value "
        "stops the start with a message that names the variable and the form it expects. `TOPUP_ENV_FILE` may "
        "name a file of `KEY=VALUE` lines read underneath the environment (the environment wins): the place for "
        "a deployment's secrets. Paths are relative to the checkout.",
        "",
        "In the embedded deployment (`make run`) nothing needs setting: every secret the environment leaves "
        "unset is made once, at random, into `$TOPUP_STATE_DIR/secrets.env`. The scaled deployment and the "
        "container refuse to start while a secret is unset or shorter than 16 characters, or while "
        "`TOPUP_AGENTS_FILE` still accepts the demo password.",
    ]
    groups: dict[str, list[tuple[str, Spec]]] = {}
    for name, spec in specs():
        groups.setdefault(spec.group, []).append((name, spec))
    for group, items in groups.items():
        lines += ["", f"## {group}", "", "| variable | type | default | unit | what it does |",
                  "| --- | --- | --- | --- | --- |"]
        for _, spec in items:
            default = spec.default.doc if spec.default.doc.startswith(("`", "embedded", "empty", "(")) \
                else f"`{spec.default.doc}`"
            lines.append(f"| `{spec.env}` | {spec.kind.label} | {default} | {spec.unit or ''} | {spec.doc} |")
    lines += [
        "",
        "## Computed for endpoints.yml",
        "",
        "Rasa expands these in `endpoints.yml`. They are computed from the settings above by "
        "`rasa_plugins.rasa_server` (and, for `rasa shell` and `rasa test`, by `ops/scripts/env.sh`); never set "
        "them yourself: " + ", ".join(f"`{name}`" for name in ENDPOINTS_VARIABLES) + ".",
        "",
        "## Not settings",
        "",
        *(f"- `{name}`: {what}." for name, what in NOT_SETTINGS.items()),
        "",
        "A `TOPUP_*` variable that is none of these stops the start (a typo would silently leave the default), and "
        "so does a variable an earlier version read while its replacement is unset: "
        + ", ".join(f"`{old}` (now `{new}`)" for old, new in RENAMED.items()) + ".",
        "",
        "## Read by Rasa and Sanic themselves",
        "",
        "`SANIC_PROXIES_COUNT` (set from `TOPUP_TRUSTED_PROXIES`), `SANIC_WORKERS` (set from `TOPUP_RASA_WORKERS`), "
        "`RASA_TELEMETRY_ENABLED` (always `false`), `TF_CPP_MIN_LOG_LEVEL`.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """python -m topup.settings check | markdown | endpoints-env | new-secret"""
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "check"
    if command == "markdown":
        sys.stdout.write(markdown())
        return 0
    if command == "new-secret":
        print(new_secret())
        return 0
    try:
        settings = load()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    if command == "endpoints-env":  # for `eval` in ops/scripts/env.sh
        import shlex

        for key, value in settings.endpoints_environment().items():
            print(f"export {key}={shlex.quote(value)}")
        return 0
    if command == "check":
        print(f"settings are valid ({settings.deployment.value} deployment, state in {settings.state_dir})")
        return 0
    print(main.__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
