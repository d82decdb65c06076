"""Where orders come from: the built-in schema, or the database of the platform an operator already runs.

One interface (`OrderSource`), three sources, chosen by TOPUP_ORDER_SOURCE (docs/PLATFORMS.md):

- `builtin` (topup/sources/builtin.py): this project's own tables, the embedded default and the demo;
- `dujiaoka` (topup/sources/dujiaoka.py): 独角数卡's `orders`, `goods` and `pays`, read-only;
- `acgfaka` (topup/sources/acgfaka.py): 异次元发卡's `acg_order`, `acg_commodity` and `acg_pay`, read-only.

Each source says how its order numbers look (`order_format`), what proves an order is the customer's (`proof`),
and answers three questions: this order, if the proof is right (`find`); the status of these orders (`statuses`,
for telling customers when an order changes); the latest order of a phone number (`latest_for_phone`, for
customers signed in at the shop). The platforms' statuses are mapped onto the order lifecycle of topup.model, so
the diagnosis, the conversation and the tickets are the same whatever the source.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from topup.model import OrderFacts, OrderStatus
from topup.sources.formats import FORMATS, OrderFormat
from topup.sources.proof import Proof


class SourceUnavailable(RuntimeError):
    """The platform's database cannot be reached or did not answer in time."""


class OrderSource(Protocol):
    platform: str
    order_format: OrderFormat
    proof: Proof

    def get(self, order_no: str) -> OrderFacts | None:
        """The order without its proof: only for a ticket's snapshot of an order (agents see it), never for the
        customer's conversation."""

    def find(self, order_no: str, proof: str) -> OrderFacts | None:
        """The order, when it exists and `proof` is right; None for both an unknown order and a wrong proof."""

    def statuses(self, order_nos: Iterable[str]) -> dict[str, OrderStatus]:
        """The current status of each of these orders that exists (one cheap query)."""

    def latest_for_phone(self, phone: str) -> str | None:
        """The most recent order placed with this phone number, where the platform records one."""

    def close(self) -> None: ...


PLATFORMS = ("builtin", "dujiaoka", "acgfaka")


def order_format_of(platform: str) -> OrderFormat:
    return FORMATS["km" if platform == "builtin" else platform]


__all__ = ["PLATFORMS", "OrderSource", "Proof", "SourceUnavailable", "order_format_of"]
