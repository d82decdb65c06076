"""The conversation's state, what one customer message brings, and what the assistant does about it.

All plain data: the state travels between turns in one Rasa slot (`case`, as a dict), and the engine
(topup.dialogue.engine) turns (state, message) into (new state, what to say, what to do).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from typing import Any


class Phase(str, Enum):
    """Where the conversation stands: what the assistant is waiting for."""

    START = "start"  # nothing asked yet
    NEED_ORDER = "need_order"  # asked for the order number
    NEED_PROOF = "need_proof"  # has an order number, asked for the phone tail
    INFORMED = "informed"  # explained the order; nothing asked (the case may still be open: waiting)
    STEP = "step"  # a self-help step is out, waiting for how it went
    OFFERED = "offered"  # offered a person, waiting for yes or no
    TICKET = "ticket"  # handed off: a ticket exists
    DONE = "done"  # the customer's problem is solved or they are done
    LOCKED = "locked"  # lookups stopped for this conversation (too many failed checks)


class Kind(str, Enum):
    """What a message is, read from its intent and its words (topup.dialogue.understand)."""

    GREET = "greet"
    GOODBYE = "goodbye"
    THANK = "thank"
    AFFIRM = "affirm"  # 好的 / 嗯 / ok: agreement, never "it worked"
    DENY = "deny"  # 不 / 没有 / 不是
    STILL = "still"  # 还是没到 / 还是不行 / 没用: the problem persists (never "nothing else")
    SOLVED = "solved"  # 到了 / 好了 / 解决了: the only thing that ends a step as solved
    TRYING = "trying"  # 我试一下 / 稍等
    CANCEL = "cancel"  # 算了 / 不用了
    COMPLAINT = "complaint"  # stuck, charged and not received, payment failed, charged twice, status
    REFUND = "refund"  # 能退款吗 / 我要退款
    INFORM = "inform"  # an order number, a tail, details
    HUMAN = "human"  # 转人工
    COMPLAIN = "complain"  # 我要投诉
    ANGRY = "angry"  # 骗子 / 报警 / insults
    FRUSTRATED = "frustrated"  # 等了好久了 / 太慢了
    ETA = "eta"  # 多久能到账
    CONTACT = "contact"  # 客服电话多少
    TICKET_STATUS = "ticket_status"  # 我的工单处理到哪了 / 还有人吗
    PAY_AGAIN = "pay_again"  # 再付一次会不会扣两次
    FORGOT_TAIL = "forgot_tail"  # 我不记得手机号了
    WHY = "why"  # 为什么要尾号 / 为什么要审核
    MAINTENANCE = "maintenance"
    PREVENTION = "prevention"
    BOT = "bot"
    OFF_TOPIC = "off_topic"
    UNCLEAR = "unclear"
    RATE = "rate"  # a rating outside the rating question
    DEBIT_QUESTION = "debit_question"  # 扣钱了吗 / 是不是扣了两次: asked, answered from the record
    ORDER_CHANGED = "order_changed"  # not the customer: the system says their order changed (topup/services/watch.py)


@dataclass
class Case:
    """Everything the assistant knows about this conversation, kept between turns."""

    phase: Phase = Phase.START
    order_no: str | None = None  # the order being talked about (canonical KM + 14 digits)
    tail: str | None = None  # a phone tail the customer gave, waiting for (or used for) the order
    verified: bool = False
    queued: list[dict[str, Any]] = field(default_factory=list)  # more orders given: {order, tail}, handled next
    complaint: str | None = None  # the complaint intent that opened the case
    claims_debit: bool = False  # the customer said money was taken (a statement, not a question)
    facts: dict[str, Any] = field(default_factory=dict)  # the verified order's facts the responses show
    diagnosis: str | None = None  # topup.diagnosis.Kind value
    open: bool = False  # the customer's problem is unresolved (money taken, nothing arrived yet...)
    escalate: bool = False  # the diagnosis says a person is needed once the steps are done
    plan: list[str] = field(default_factory=list)  # self-help steps still to offer
    steps: list[dict[str, str]] = field(default_factory=list)  # offered steps and their outcomes
    ticket_no: str | None = None
    ticket_order: str | None = None  # the order the ticket is about
    handoff_reason: str | None = None  # why a person is offered (the ticket's reason if accepted)
    proven: dict[str, str] = field(default_factory=dict)  # orders proven in this conversation: their tails
    attempts: int = 0  # failed ownership checks in this conversation
    refused: str | None = None  # why the last check was refused: order_locked | client_locked
    phone_tried: str | None = None  # the order a signed-in customer's phone was checked against
    unclear: int = 0  # unclear messages in a row
    asked: dict[str, int] = field(default_factory=dict)  # the pending question: {key: times asked in a row}
    said: dict[str, int] = field(default_factory=dict)  # sentences said so far (responses.sentence_key)
    notes: int = 0  # customer messages added to the ticket
    frustration: int = 0
    complained: bool = False  # the customer asked to complain (the ticket is flagged)
    angry: bool = False  # insults, "骗子", "报警" (high priority when money was taken)
    resumed: bool = False  # a returning customer's open ticket has been looked for
    adding: bool = False  # the order now talked about came besides the ticket's ("还有一单"): the ticket stays
    told: list[str] = field(default_factory=list)  # order changes the system told about: "order:status"

    def switch_to(self, order_no: str) -> None:
        """Talk about `order_no` from now on: unverified, nothing known about it yet (an order proven earlier in
        the conversation keeps its tail, so it is looked up again without asking)."""
        self.order_no, self.verified, self.tail = order_no, False, self.proven.get(order_no) or None
        self.facts, self.diagnosis, self.plan, self.steps = {}, None, [], []
        self.open = self.escalate = False
        self.asked = {}

    def as_slot(self) -> dict[str, Any]:
        data = asdict(self)
        data["phase"] = self.phase.value
        return data

    @classmethod
    def from_slot(cls, value: object) -> Case:
        """The case stored in the slot, or a fresh one (anything unreadable starts over rather than failing)."""
        if not isinstance(value, dict):
            return cls()
        known = {f.name: f for f in fields(cls)}
        data = {k: v for k, v in value.items() if k in known}
        try:
            data["phase"] = Phase(data.get("phase", Phase.START.value))
            case = cls(**data)
        except (ValueError, TypeError):
            return cls()
        return case if case._well_formed() else cls()

    def _well_formed(self) -> bool:
        fresh = Case()
        for name in ("queued", "facts", "plan", "steps", "asked", "said", "proven"):
            if not isinstance(getattr(self, name), type(getattr(fresh, name))):
                return False
        texts = (self.order_no, self.tail, self.complaint, self.diagnosis, self.ticket_no, self.ticket_order,
                 self.handoff_reason, self.phone_tried, self.refused)
        numbers = (self.attempts, self.unclear, self.notes, self.frustration)
        return (all(t is None or isinstance(t, str) for t in texts) and all(type(n) is int for n in numbers)
                and all(isinstance(q, dict) for q in self.queued) and all(isinstance(s, dict) for s in self.steps))


@dataclass(frozen=True)
class Facts:
    """What the words of one message give, whatever its intent (topup.dialogue.understand.read_facts)."""

    orders: tuple[str, ...] = ()  # valid order numbers, canonical, in the order typed
    malformed: bool = False  # something meant as an order number that cannot be one
    tail: str | None = None  # a phone tail (or the last 4 of a full mobile number)
    switch: bool = False  # "不对，是另一个订单": the customer corrects the order
    also: bool = False  # "还有一单 KM…": another order besides the one being talked about
    claims_debit: bool = False  # "钱扣了" said as a statement
    claims_twice: bool = False  # "扣了两次" said as a statement
    order_event: str | None = None  # the system's news: the order's new status (Kind.ORDER_CHANGED)


@dataclass(frozen=True)
class Message:
    """One customer message as the engine reads it."""

    text: str  # normalised (simplified, width-folded): what the readers look at
    kind: Kind
    intent: str | None
    facts: Facts
    original: str = ""  # the customer's own words: what goes onto a ticket
    returning: bool = False  # the first message of a new session (the customer is back after it expired)


@dataclass(frozen=True)
class Say:
    """One response of domain.yml, with the values its template reads."""

    response: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Turn:
    """The assistant's answer to one message: the new state and what to say, in order."""

    case: Case
    says: list[Say] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # responses not said for want of a value (a bug: logged)

    @property
    def responses(self) -> list[str]:
        return [s.response for s in self.says]
