"""GET /api/tickets: one page of the queue as the console lists it (tab, search, filters, page), never all of it."""

from __future__ import annotations

import asyncio

from aiohttp import web

from topup.agents import AgentDirectory
from topup.app import App
from topup.services.queue import BadQuery, QueueItem, QueuePage, QueueQuery, QueueService
from topup.services.queue_types import MAX_SEARCH
from web.auth import agent_required
from web.context import topup
from web.jsonio import dumps, error

QUEUE = web.AppKey("queue", QueueService)

_BAD = {
    "tab": "没有这个工单列表，请从上面的标签里选一个",
    "q": f"搜索内容太长了，请控制在 {MAX_SEARCH} 个字以内",
    "priority": "没有这个优先级",
    "complaint": "没有这个问题类型",
    "age": "这个时间筛选不适用于当前列表",
    "page": "页码需要是从 1 开始的整数",
    "current": "工单号不对",
}


def _query(request: web.Request) -> QueueQuery:
    """The query string as a checked QueueQuery; BadQuery names the first wrong part."""
    params = request.query
    page = params.get("page", "1").strip() or "1"
    if not page.isdigit() or len(page) > 6:
        raise BadQuery("page")
    return QueueQuery(tab=params.get("tab", "").strip() or "open", q=params.get("q", "").strip(),
                      priority=params.get("priority", "").strip() or None,
                      complaint=params.get("complaint", "").strip() or None,
                      age=params.get("age", "").strip() or None, page=int(page)).checked()


def item_dict(item: QueueItem, agents: AgentDirectory) -> dict:
    holder = item.assigned_agent
    return {
        "ticket_no": item.ticket_no, "order_no": item.order_no, "priority": item.priority, "status": item.status,
        "complaint": item.complaint, "handoff_reason": item.handoff_reason, "amount_cents": item.amount_cents,
        "product_name": item.product_name, "phone_tail": item.phone_tail, "assigned_agent": holder,
        "assigned_agent_name": agents.display_name(holder) if holder else None, "summary": item.summary,
        "customer_words": item.customer_words, "awaiting_reply": item.awaiting_reply, "rating": item.rating,
        "created_at": item.created_at, "updated_at": item.updated_at, "resolved_at": item.resolved_at,
    }


def page_payload(page: QueuePage, app: App) -> dict:
    """The page, the tab counts, and the open ticket's mark (status, updated_at) so its view can refresh."""
    mark = page.current
    return {
        "now": app.clock.now(), "tab": page.tab, "page": page.page, "pages": page.pages, "per_page": page.per_page,
        "total": page.total, "first": page.first, "last": page.last, "counts": page.counts,
        "tickets": [item_dict(i, app.agents) for i in page.items],
        "current": None if mark is None else {"ticket_no": mark.ticket_no, "status": mark.status,
                                              "updated_at": mark.updated_at, "assigned_agent": mark.assigned_agent},
    }


@agent_required
async def list_page(request: web.Request) -> web.Response:
    """GET /api/tickets?tab=&q=&priority=&complaint=&age=&page=&current= (all optional)."""
    try:
        query = _query(request)
    except BadQuery as exc:
        return error(400, _BAD[exc.field], f"bad_{exc.field}")
    current = request.query.get("current", "").strip() or None
    if current is not None and len(current) > 32:
        return error(400, _BAD["current"], "bad_current")
    app = topup(request)

    def read() -> str:  # read and serialise in the worker thread (display names read the agents file)
        return dumps(page_payload(request.app[QUEUE].page(query, request["agent"], current), app))

    return web.Response(text=await asyncio.to_thread(read), content_type="application/json")
