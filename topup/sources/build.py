"""The order source the settings name (TOPUP_ORDER_SOURCE), built once per process by the application object."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from topup.settings import OrderSourceKind, Settings
from topup.sources import OrderSource
from topup.sources.builtin import BuiltinSource
from topup.sources.platform_db import make_source_engine


def build_source(settings: Settings, engine: Engine) -> OrderSource:
    """`engine` is the assistant's own database (the built-in schema lives there); a platform gets its own."""
    kind = settings.order_source
    if kind is OrderSourceKind.BUILTIN:
        return BuiltinSource(engine)
    zone = ZoneInfo(settings.order_source_timezone or settings.timezone)
    platform_engine = make_source_engine(settings.order_source_url, settings.order_source_timeout_ms,
                                         settings.db_connect_timeout, settings.db_pool_size)
    if kind is OrderSourceKind.DUJIAOKA:
        from topup.sources.dujiaoka import DujiaokaSource

        return DujiaokaSource(platform_engine, zone, settings.order_source_prefix)
    from topup.sources.acgfaka import AcgFakaSource

    return AcgFakaSource(platform_engine, zone, settings.order_source_prefix)
