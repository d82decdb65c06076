"""Simulated customers over the REST channel, /model/parse timing, and one long conversation.

A closed loop: N customers are in conversation at any moment; when one finishes, a new customer (new sender id)
takes its place. Paced runs wait like a person between messages; the saturation run does not wait at all.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

from ops.bench.stats import median, summary_ms

REQUEST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Journey:
    """One conversation a customer replays, and a phrase the last reply must contain if the dialogue held up."""

    name: str
    messages: tuple[str, ...]
    expect: str


# Complaint with order number -> phone tail -> self-help answer -> another -> handoff or resolution.
OUR_PATHS: tuple[Journey, ...] = (
    Journey("overdue_handoff", ("话费一直显示正在充值 KM20261127004215", "尾号3821", "还是不行", "还是没有"),
            "工单号"),
    Journey("bank_card_handoff", ("点卡付了钱一直在充值中 KM20261128000233", "5566", "刷新了还是不行", "没用"),
            "工单号"),
    Journey("delivered_resolved", ("话费充值一直显示处理中 KM20261127003390", "手机尾号7788", "还是不行", "好了 谢谢"),
            "问题解决了"),
    Journey("duplicate_handoff", ("重复扣款了 KM20261127004215", "3821", "不行 还是两笔", "好的 谢谢"), "不客气"),
)
# The stock bot's own intents: greet, mood_unhappy, affirm, goodbye.
STOCK_PATHS: tuple[Journey, ...] = (Journey("stock_mood", ("hello", "I am sad", "yes", "bye"), "Bye"),)

# After the order is verified and a step offered, side questions keep one conversation going for many turns.
LONG_OPENING = ("话费一直显示正在充值 KM20261127004215", "尾号3821")
LONG_CYCLE = ("你们平台现在是不是在维护", "你是机器人还是真人", "以后怎么避免充值卡住", "你们平台是不是在维护啊")


@dataclass
class Sample:
    latency_s: float
    error: str | None = None
    empty: bool = False


@dataclass
class RunResult:
    name: str
    customers: int
    pause_s: float
    samples: list[Sample] = field(default_factory=list)
    conversations: int = 0
    as_expected: int = 0
    wall_s: float = 0.0
    rss: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        ok = [s.latency_s for s in self.samples if s.error is None]
        errors = [s.error for s in self.samples if s.error is not None]
        return {
            "name": self.name,
            "customers": self.customers,
            "pause_s": self.pause_s,
            "messages": len(self.samples),
            "conversations": self.conversations,
            "conversations_as_expected": self.as_expected,
            "wall_s": round(self.wall_s, 2),
            "messages_per_s": round(len(ok) / self.wall_s, 2) if self.wall_s else None,
            "latency": summary_ms(ok),
            "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5],
            "empty_replies": sum(1 for s in self.samples if s.empty),
            "rss": self.rss,
        }


async def say(http: aiohttp.ClientSession, url: str, sender: str, text: str) -> tuple[Sample, list[dict]]:
    """One message; an HTTP error or timeout is an error, an empty list of replies is an empty reply."""
    started = time.perf_counter()
    try:
        async with http.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as response:
            body = await response.json(content_type=None) if response.status == 200 else None
            elapsed = time.perf_counter() - started
            if response.status != 200:
                return Sample(elapsed, error=f"HTTP {response.status}"), []
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        return Sample(time.perf_counter() - started, error=type(exc).__name__), []
    replies = body if isinstance(body, list) else []
    return Sample(elapsed, empty=not replies), replies


def _session(customers: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=customers + 8)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S))


async def _load(url: str, paths: Sequence[Journey], name: str, customers: int, pause_s: float, duration_s: float,
                max_conversations: int, prefix: str) -> RunResult:
    result = RunResult(name, customers, pause_s)
    numbers = itertools.count()
    started = time.monotonic()
    deadline = started + duration_s
    cycle_s = pause_s * max(len(p.messages) for p in paths)  # a conversation's length when paced

    async def customer(index: int, http: aiohttp.ClientSession) -> None:
        # Paced customers arrive spread over one conversation, so the server sees a steady mix, not a burst.
        await asyncio.sleep(index * cycle_s / customers)
        while time.monotonic() < deadline:
            number = next(numbers)
            if number >= max_conversations:
                return
            path = paths[number % len(paths)]
            sender = f"{prefix}-{name}-{number}"
            replies: list[dict] = []
            for position, text in enumerate(path.messages):
                if position and pause_s:
                    await asyncio.sleep(pause_s)
                sample, replies = await say(http, url, sender, text)
                result.samples.append(sample)
                result.wall_s = time.monotonic() - started  # up to the last reply, not the trailing pause
                if sample.error:
                    break
            result.conversations += 1
            if any(path.expect in (r.get("text") or "") for r in replies):
                result.as_expected += 1
            if pause_s:
                await asyncio.sleep(pause_s)

    async with _session(customers) as http:
        tasks = [asyncio.create_task(customer(i, http)) for i in range(customers)]
        # Hard bound: the last conversations may run one path past the deadline, never longer.
        limit = duration_s + cycle_s + pause_s + max(len(p.messages) for p in paths) * (pause_s + REQUEST_TIMEOUT_S)
        done, pending = await asyncio.wait(tasks, timeout=limit)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    return result


def run_load(url: str, paths: Sequence[Journey], name: str, customers: int, pause_s: float, duration_s: float,
             max_conversations: int, prefix: str) -> RunResult:
    """N concurrent customers for duration_s (and at most max_conversations conversations)."""
    return asyncio.run(_load(url, paths, name, customers, pause_s, duration_s, max_conversations, prefix))


def warm_up(url: str, paths: Sequence[Journey], prefix: str) -> None:
    """Two sequential passes over every path, unmeasured: the first messages after loading a model are slow."""
    run_load(url, paths, "warmup", 1, 0.0, 120.0, 2 * len(paths), prefix)


async def _parse(url: str, texts: Sequence[str], rounds: int, query: str = "") -> list[float]:
    latencies: list[float] = []
    async with _session(1) as http:
        for text in list(texts) * rounds:
            started = time.perf_counter()
            async with http.post(f"{url}/model/parse{query}", json={"text": text}) as response:
                response.raise_for_status()
                await response.read()
            latencies.append(time.perf_counter() - started)
    return latencies


def nlu_parse(url: str, paths: Sequence[Journey], requests: int, query: str = "") -> dict:
    """One client, one request at a time: the NLU pipeline's own latency, without dialogue or actions.
    `query` carries the API token (`?token=...`) when the server has one."""
    texts = [m for p in paths for m in p.messages]
    rounds = max(1, -(-requests // len(texts)))
    asyncio.run(_parse(url, texts, 1, query))  # warm
    return summary_ms(asyncio.run(_parse(url, texts, rounds, query))[:requests])


async def _long(url: str, sender: str, turns: int) -> list[Sample]:
    samples: list[Sample] = []
    async with _session(1) as http:
        texts = itertools.chain(LONG_OPENING, itertools.cycle(LONG_CYCLE))
        for text in itertools.islice(texts, turns):
            sample, _ = await say(http, url, sender, text)
            samples.append(sample)
    return samples


def long_conversation(url: str, turns: int, probes: Sequence[int], window: int = 5) -> dict:
    """Latency at given turns of one conversation; each figure is the median of the `window` turns ending there."""
    samples = asyncio.run(_long(url, f"bench-long-{time.time_ns()}", turns))
    at: dict[str, dict] = {}
    for turn in probes:
        chunk = samples[max(0, turn - window):turn]
        at[str(turn)] = {
            "raw_ms": round(samples[turn - 1].latency_s * 1000, 2) if turn <= len(samples) else None,
            "median_ms": round((median([s.latency_s for s in chunk]) or 0) * 1000, 2),
            "window": [max(1, turn - window + 1), turn],
        }
    return {
        "turns": len(samples),
        "errors": sum(1 for s in samples if s.error),
        "empty_replies": sum(1 for s in samples if s.empty),
        "at_turn": at,
        "all_ms": [round(s.latency_s * 1000, 1) for s in samples],
    }
