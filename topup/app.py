"""The application object: one per process, built from the settings when the process starts.

It holds what every part of a process shares (the database engine, the clock, the rate limiters, the agent
accounts, the signing keys and the services), so actions, channels, the web app and the command line ask it
instead of reading the environment. Tests build one with their own settings and clock.

    app = App.build(settings.load())   # at start (entry points), or App.current() on first use
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from topup.agents import AgentDirectory, ConsoleSessions
from topup.clock import Clock
from topup.customer_token import CustomerTokens
from topup.db.engine import Pool, make_engine
from topup.ratelimit import Backend, MemoryBackend, RateLimiter, RedisBackend
from topup.services.attachments import AttachmentLimits, AttachmentService
from topup.services.canned import CannedService
from topup.services.casework import CaseworkService
from topup.services.console import ConsoleService
from topup.services.conversations import ConversationService
from topup.services.handoff import HandoffService
from topup.services.lookup import LookupService
from topup.services.outbox import Outbox
from topup.services.reports import ReportService
from topup.services.security import SecurityService
from topup.services.watch import WatchService
from topup.settings import Settings
from topup.settings import current as current_settings
from topup.sources import OrderSource
from topup.sources.acg_tickets import AcgTickets
from topup.sources.build import build_source


@dataclass(frozen=True)
class Limits:
    """The rate limits, counted in one backend per process (memory, or Redis shared by every server)."""

    chat: RateLimiter
    chat_ip: RateLimiter
    login: RateLimiter

    @classmethod
    def build(cls, settings: Settings, backend: Backend | None = None) -> Limits:
        backend = backend or (RedisBackend(settings.redis_url) if settings.redis_url else MemoryBackend())
        return cls(RateLimiter("chat", settings.chat_rate, backend),
                   RateLimiter("chat_ip", settings.chat_ip_rate, backend),
                   RateLimiter("login", settings.login_rate, backend))


@dataclass(frozen=True)
class App:
    settings: Settings
    clock: Clock
    engine: Engine
    limits: Limits
    agents: AgentDirectory
    sessions: ConsoleSessions
    customers: CustomerTokens
    lookups: LookupService
    handoffs: HandoffService
    outbox: Outbox
    security: SecurityService
    console: ConsoleService
    casework: CaseworkService
    canned: CannedService
    source: OrderSource
    watch: WatchService
    reports: ReportService
    conversations: ConversationService
    attachments: AttachmentService

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None, engine: Engine | None = None,
              rate_backend: Backend | None = None) -> App:
        """Everything a process needs, from its settings; nothing connects until it is used."""
        clock = clock or Clock(settings.timezone)
        engine = engine or make_engine(settings.database_url, Pool(
            settings.db_pool_size, settings.db_max_overflow, settings.db_pool_timeout, settings.db_pool_recycle,
            settings.db_connect_timeout, settings.db_statement_timeout_ms))
        agents = AgentDirectory(settings.agents_file)
        source = build_source(settings, engine)
        platform_tickets = AcgTickets.from_url(settings.platform_tickets_url, ZoneInfo(
            settings.order_source_timezone or settings.timezone), settings.order_source_prefix,
            settings.db_connect_timeout) if settings.platform_tickets_url else None
        handoffs = HandoffService(engine, clock, None if source.platform == "builtin" else source, platform_tickets)
        return cls(
            settings=settings,
            clock=clock,
            engine=engine,
            limits=Limits.build(settings, rate_backend),
            agents=agents,
            sessions=ConsoleSessions(settings.console_secret, settings.console_session_minutes * 60, agents),
            customers=CustomerTokens(settings.customer_token_secret),
            lookups=LookupService(engine, clock, source),
            handoffs=handoffs,
            outbox=Outbox(settings.outbox_dir, handoffs),
            security=SecurityService(engine, clock, settings.client_max_failed_lookups,
                                     settings.lookup_cooldown_minutes, settings.order_max_failed_lookups),
            console=ConsoleService(engine, clock, source.order_format.keep),
            casework=CaseworkService(engine, clock, agents, source.order_format.keep),
            canned=CannedService(engine, clock),
            source=source,
            watch=WatchService(engine, clock, source, settings.order_watch_hours),
            reports=ReportService(engine, clock, settings.timezone),
            conversations=ConversationService(engine, clock),
            attachments=AttachmentService(engine, clock, settings.attachments_dir,
                                          AttachmentLimits(max_bytes=settings.attachment_max_bytes)),
        )

    def close(self) -> None:
        self.source.close()
        if self.handoffs.platform_tickets is not None:
            self.handoffs.platform_tickets.close()
        self.engine.dispose()

    @staticmethod
    def current() -> App:
        """This process's application object, built from its settings on first use."""
        global _current
        if _current is None:
            _current = App.build(current_settings())
        return _current


_current: App | None = None


def install(app: App | None) -> App | None:
    """Make `app` this process's application object (entry points, tests); returns the one it replaces."""
    global _current
    previous, _current = _current, app
    return previous
