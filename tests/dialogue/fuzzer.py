"""The conversation fuzzer: seeded random walks over what customers do, run through the conversation engine on the
real services (demo orders on SQLite), every turn checked against the rules in tests/dialogue/invariants.py.

A walk is one customer with one order (sometimes a second one): they complain, give the order number in some
grouping, the tail (or a wrong one, then the right one), answer the steps (yes, no, still not, ok, trying, solved),
ask side questions, switch orders, make noise, get angry, ask for a person, go quiet and come back (a new
session), and keep writing after the handoff. Each message is one of the templates below; its intent is the one
the trained NLU gives the template (read once per template, with example values), so the walk meets the NLU's
real misreadings; the facts (order numbers, tails) are read from the actual text as the engine always does.

    python -m tests.dialogue.fuzzer --walks 20000 [--seed 1] [--no-nlu]     (make fuzz)

tests/dialogue/test_fuzzer.py runs a few thousand walks in the test command.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import yaml
from sqlalchemy import delete

from tests.appkit import make_app
from tests.dialogue.invariants import Turn, transcript, violations
from topup.app import App
from topup.clock import FixedClock, utcnow
from topup.db.engine import unit_of_work
from topup.db.schema import SecurityEventRow
from topup.demo import load_demo
from topup.dialogue.engine import respond
from topup.dialogue.model import Case
from topup.dialogue.responses import render
from topup.dialogue.service_ports import ServicePorts
from topup.dialogue.understand import read_message

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "orders.yml"
ORDERS = [(o["order_no"], o["phone"][-4:], o["product_name"])
          for o in yaml.safe_load(DEMO.read_text(encoding="utf-8"))["orders"]]
PRODUCTS = {order: name for order, _, name in ORDERS}

# What customers write, by behaviour: (template, the intent it is meant as). {order} and {tail} are filled in.
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "complain": [
        ("充值一直没到账", "recharge_stuck"), ("话费付了钱一直显示正在充值", "recharge_stuck"),
        ("钱扣了 东西没到！！", "charged_not_received"), ("支付失败了怎么回事", "payment_failed"),
        ("扣了我两次钱", "duplicate_charge"), ("我的订单到底怎么样了", "check_order_status"),
        ("冲值了一个小时还在处理中", "recharge_stuck"), ("q币买了没到账啊", "charged_not_received"),
        ("点券充了半天没反应", "recharge_stuck"), ("訂單一直顯示儲值中", "recharge_stuck"),
        ("帮我查一下订单", "check_order_status"), ("付款的时候失败了 钱好像也没扣", "payment_failed"),
    ],
    "order": [
        ("{order}", "inform"), ("订单号 {order}", "inform"), ("是这个 {order}", "inform"),
        ("{order} 这个单", "inform"), ("订单：{order}", "inform"),
    ],
    "order_tail": [
        ("{order} 尾号{tail}", "inform"), ("订单{order}，手机后四位{tail}", "inform"), ("{order} {tail}", "inform"),
    ],
    "complain_order": [
        ("{order} 一直在充值 钱都扣了", "charged_not_received"), ("我的单{order}怎么还没到", "recharge_stuck"),
        ("查下{order} 尾号{tail}", "check_order_status"), ("{order} 付款失败了", "payment_failed"),
    ],
    "tail": [("{tail}", "inform"), ("尾号{tail}", "inform"), ("后四位是{tail}", "inform"),
             ("哦打错了，是{tail}", "inform"), ("手机尾号 {tail}", "inform")],
    "affirm": [("好的", "affirm"), ("ok", "affirm"), ("嗯", "affirm"), ("好", "affirm"), ("可以", "affirm"),
               ("嗯嗯好的", "affirm")],
    "deny": [("不是", "deny"), ("没有", "deny"), ("不用", "deny"), ("不要", "deny")],
    "still": [("还是没到", "deny"), ("还是不行", "deny"), ("没用", "deny"), ("刷新了还是没有", "deny"),
              ("还没到啊", "recharge_stuck"), ("一直没变化", "deny")],
    "solved": [("到了", "solved"), ("好了好了", "solved"), ("已经到账了", "solved"), ("显示成功了 谢谢", "solved")],
    "trying": [("我试一下", "trying"), ("好的谢谢，我试一下", "trying"), ("稍等", "trying"), ("我去看看", "trying")],
    "thank": [("谢谢", "thank"), ("谢啦", "thank"), ("辛苦了", "thank")],
    "greet": [("你好", "greet"), ("在吗", "greet"), ("有人吗", "greet")],
    "question": [
        ("多久能到账", "ask_eta"), ("什么时候能到", "ask_eta"), ("能退款吗", "refund_request"),
        ("能退到微信吗", "refund_request"), ("为什么要审核", "ask_why_check"), ("为什么要手机尾号", "ask_why_check"),
        ("你们客服电话多少", "ask_contact"), ("你们在维护吗", "ask_maintenance"), ("下次怎么避免", "ask_prevention"),
        ("你是机器人吗", "bot_challenge"), ("今天天气怎么样", "out_of_scope"),
        ("那我再付一次会不会扣两次钱", "pay_again_question"), ("我不记得手机号了", "forgot_tail"),
        ("我的工单处理到哪了", "ask_ticket_status"), ("还有人吗", "ask_ticket_status"),
    ],
    "noise": [("???", "nlu_fallback"), ("。。。", "nlu_fallback"), ("啊这", "nlu_fallback"), ("😡😡😡", "nlu_fallback"),
              ("asdfgh", "nlu_fallback"), ("嗯？", "nlu_fallback"), ("<b>hi</b>", "nlu_fallback"), ("1", "inform")],
    "angry": [("骗子平台", "express_frustration"), ("垃圾 再不到账我就报警", "express_frustration"),
              ("等了好久了", "express_frustration"), ("太慢了吧 急死了", "express_frustration")],
    "complain_formal": [("我要投诉", "complain"), ("投诉你们", "complain")],
    "human": [("转人工", "request_human"), ("人工客服", "request_human"), ("客服呢？？", "request_human")],
    "cancel": [("算了不用了", "cancel"), ("先这样吧", "cancel"), ("再见", "goodbye"), ("算了", "cancel")],
    "claim": [("可是我钱已经扣了啊", "charged_not_received"), ("银行卡显示扣款了", "charged_not_received")],
    "rant": [("你们这什么破平台 {order} 一个小时了还不到 钱都扣了 到底管不管", "express_frustration"),
             ("原神创世结晶6480 {order} 充了1000块还没到", "recharge_stuck")],
}
# How often each behaviour comes, before and after a ticket exists.
WEIGHTS = {"complain": 6, "order": 6, "order_tail": 4, "complain_order": 3, "tail": 7, "wrong_tail": 3,
           "switch": 2, "two_orders": 1, "affirm": 6, "deny": 4, "still": 6, "solved": 3, "trying": 4, "thank": 3,
           "greet": 1, "question": 7, "noise": 3, "angry": 2, "complain_formal": 1, "human": 2, "cancel": 1,
           "claim": 1, "rant": 1, "return": 1, "malformed": 1}
GROUPINGS: list[Callable[[str], str]] = [
    lambda o: o, str.lower, lambda o: o[2:], lambda o: f"KM {o[2:6]} {o[6:10]} {o[10:14]} {o[14:]}",
    lambda o: "K M " + " ".join(o[2:]), lambda o: f"{o[:10]}-{o[10:]}",
]


@dataclass
class Customer:
    """Who is writing: their order (and perhaps a second), the state of the chat."""

    rng: random.Random
    order: str
    tail: str
    other: tuple[str, str]
    turns: int = 0
    events: list[dict] = field(default_factory=list)

    def grouped(self, order: str) -> str:
        return self.rng.choice(GROUPINGS)(order)

    def next_message(self) -> tuple[str, str, str]:
        """(text, the template's intent, the template)."""
        rng = self.rng
        behaviour = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        if behaviour == "wrong_tail":
            template, intent = rng.choice(TEMPLATES["tail"])
            return template.format(tail=f"{rng.randrange(10000):04d}"), intent, template
        if behaviour == "switch":
            self.order, self.tail, self.other = self.other[0], self.other[1], (self.order, self.tail)
            text = rng.choice(["不对，是另一个订单 {order}", "搞错了 是这个 {order}", "还有一个单 {order}"])
            return text.format(order=self.grouped(self.order)), "inform", text
        if behaviour == "two_orders":
            text = "{order} 和 {other} 都没到"
            return text.format(order=self.order, other=self.other[0]), "recharge_stuck", text
        if behaviour == "malformed":
            return "KM2026112700421", "inform", "KM2026112700421"
        if behaviour == "return":
            return "", "", "@new_session"
        template, intent = rng.choice(TEMPLATES[behaviour])
        return template.format(order=self.grouped(self.order), tail=self.tail), intent, template


def _fill(template: str) -> str:
    """A template with example values, for the NLU to read once."""
    return template.format(order="KM20261127004215", tail="3821", other="KM20261128000107")


class Intents:
    """The intent of each template: the trained NLU's reading of it (once), or the template's own label."""

    def __init__(self, parse: Callable[[str], dict] | None) -> None:
        self.parse = parse
        self.cache: dict[str, str] = {}
        self.misread: Counter[tuple[str, str, str]] = Counter()

    def __call__(self, template: str, label: str) -> str:
        if self.parse is None:
            return label
        if template not in self.cache:
            parsed = self.parse(_fill(template))
            self.cache[template] = (parsed.get("intent") or {}).get("name") or "nlu_fallback"
        intent = self.cache[template]
        if intent != label:
            self.misread[(template, label, intent)] += 1
        return intent


def walk(app: App, seed: int, intents: Intents, length: tuple[int, int] = (4, 18)) -> list[Turn]:
    """One seeded conversation through the engine; the turns as tests/dialogue/invariants.py reads them."""
    rng = random.Random(seed)
    order, tail, _ = rng.choice(ORDERS)
    other = rng.choice([o for o in ORDERS if o[0] != order])
    customer = Customer(rng, order, tail, (other[0], other[1]))
    sender = f"fuzz-{seed}"
    with unit_of_work(app.engine) as session:  # other walks' failed lookups do not count in this one
        session.execute(delete(SecurityEventRow))
    clock = app.clock
    assert isinstance(clock, FixedClock), "the fuzzer moves the clock as the customer types"
    clock.at = START
    case, turns, returning = Case(), [], False
    for _ in range(rng.randint(*length)):
        text, label, template = customer.next_message()
        if template == "@new_session":  # gone for hours; the session expired (Rasa carries the state over)
            clock.at += timedelta(hours=3)
            returning = True
            continue
        clock.at += timedelta(seconds=rng.randint(10, 150))  # reading, trying, typing
        message = read_message(text, intents(template, label), original=text, returning=returning)
        customer.events.append({"event": "user", "text": text, "timestamp": time.time(),
                                "parse_data": {"intent": {"name": message.intent}, "entities": []}})
        turn = respond(case, message, ServicePorts(app, sender, {"client_ip": "198.51.100.7"}, customer.events))
        case = turn.case
        texts = [render(s.response, s.values, strict=True) for s in turn.says]
        customer.events += [{"event": "bot", "text": t, "timestamp": time.time()} for t in texts]
        turns.append(Turn(text, message.kind, turn.responses, texts, case.as_slot(), message.facts.orders,
                          new_session=returning, skipped=list(turn.skipped)))
        returning = False
    return turns


START = utcnow()  # every walk starts here, the demo orders loaded relative to it


def demo_app(folder: Path) -> App:
    """The demo orders on a fresh SQLite database, an agent online, agents on duty around the clock, and a clock
    the walks move."""
    app = make_app(folder, clock=FixedClock(START), TOPUP_BUSINESS_HOURS="00:00-23:59")
    load_demo(DEMO, app.engine, now=START)
    app.clock.at = START + timedelta(days=30)  # an agent seen "later": online for every walk
    app.console.touch_presence("xiaowang")
    app.clock.at = START
    return app


@dataclass
class Result:
    walks: int = 0
    turns: int = 0
    failures: list[tuple[int, list[str], str]] = field(default_factory=list)
    responses: Counter[str] = field(default_factory=Counter)


def run(app: App, walks: int, seed: int, intents: Intents, stop_after: int = 5) -> Result:
    result = Result()
    for n in range(walks):
        turns = walk(app, seed + n, intents)
        result.walks += 1
        result.turns += len(turns)
        for turn in turns:
            result.responses.update(turn.responses)
        problems = violations(turns, PRODUCTS)
        if problems:
            result.failures.append((seed + n, problems, transcript(turns)))
            if len(result.failures) >= stop_after:
                break
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-nlu", action="store_true", help="use the templates' own intents, not the model's")
    args = parser.parse_args(argv)
    parse = None
    if not args.no_nlu:
        from tests.dialogue.nlu import load_parser

        parse = load_parser()
    intents = Intents(parse)
    with tempfile.TemporaryDirectory() as folder:
        app = demo_app(Path(folder))
        started = time.monotonic()
        result = run(app, args.walks, args.seed, intents)
        seconds = time.monotonic() - started
        app.close()
    for seed, problems, shown in result.failures:
        print(f"walk seed {seed}:\n  " + "\n  ".join(problems) + "\n" + shown + "\n")
    print(f"{result.walks} walks, {result.turns} turns in {seconds:.0f}s; {len(result.failures)} failing; "
          f"{len(result.responses)} different responses said")
    for (template, label, intent), count in intents.misread.most_common(10):
        print(f"  the NLU reads {template!r} as {intent} (meant {label}): {count} turns")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
