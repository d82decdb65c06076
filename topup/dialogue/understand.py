"""Reading one customer message: the facts its words give (whatever its intent) and what kind of message it is.

The NLU's intent is the first guess; a few unambiguous phrasings decide instead (到了 is a success, 我试一下 is
trying, 会不会扣两次 is a question), because a wrong guess there closes a case or misreads a question as a claim.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from topup.conversation import EXTERNAL
from topup.dialogue.model import Facts, Kind, Message
from topup.patterns import CLAIMS_DEBIT
from topup.sources.formats import FORMATS, OrderFormat
from topup.sources.proof import EMAIL, Proof, read_proof
from topup.text import fold_width

COMPLAINT_INTENTS = frozenset({"recharge_stuck", "charged_not_received", "payment_failed", "duplicate_charge",
                               "check_order_status"})
_INTENT_KINDS = {
    "greet": Kind.GREET, "goodbye": Kind.GOODBYE, "thank": Kind.THANK, "affirm": Kind.AFFIRM, "deny": Kind.DENY,
    "solved": Kind.SOLVED, "trying": Kind.TRYING, "cancel": Kind.CANCEL, "refund_request": Kind.REFUND,
    "inform": Kind.INFORM, "request_human": Kind.HUMAN, "complain": Kind.COMPLAIN,
    "express_frustration": Kind.FRUSTRATED, "ask_eta": Kind.ETA, "ask_contact": Kind.CONTACT,
    "ask_ticket_status": Kind.TICKET_STATUS, "pay_again_question": Kind.PAY_AGAIN, "forgot_tail": Kind.FORGOT_TAIL,
    "ask_why_check": Kind.WHY, "ask_maintenance": Kind.MAINTENANCE, "ask_prevention": Kind.PREVENTION,
    "bot_challenge": Kind.BOT, "out_of_scope": Kind.OFF_TOPIC, "nlu_fallback": Kind.UNCLEAR, "rate": Kind.RATE,
    **{intent: Kind.COMPLAINT for intent in COMPLAINT_INTENTS},
}
# The intents of the domain, as the engine reads them (tests check the domain lists exactly these).
INTENTS = frozenset(_INTENT_KINDS) - {"nlu_fallback"}

_QUESTION = (r"(吗|么|嘛|呢|？|\?|会不会|能不能|可不可以|是不是|要不要|行不行|该不该|需不需要|多久|什么时候|怎么"
             r"|[^\s]不\s*$|没有?[啊呀]?\s*$)")
_SPAN = r"[^。！!]{0,8}"  # a few words in between, within one sentence
_PROOF_WORDS = r"手机|号码|尾号|后四位|后4位|邮箱|联系方式|查询密码"  # what proves an order, on every platform
# Phrasings that decide the kind whatever the NLU guessed, checked in this order.
_RULES: list[tuple[Kind, re.Pattern[str]]] = [
    (Kind.ANGRY, re.compile(r"骗子|骗钱|诈骗|报警|垃圾|黑店|坑人|坑钱|狗屎|傻[逼比]|滚|妈的|他妈|去死")),
    (Kind.COMPLAIN, re.compile(r"投诉|举报|12315|消协|维权")),
    (Kind.PAY_AGAIN, re.compile(rf"(再|重新|重复)(付|支付|买|下单|充){_SPAN}{_QUESTION}"
                                r"|会不会(扣|收)(两|二|2)次|扣两次(吗|么)")),
    (Kind.FORGOT_TAIL, re.compile(rf"(不记得|忘了|忘记|想不起|记不清|不知道){_SPAN}({_PROOF_WORDS})"
                                  rf"|({_PROOF_WORDS})[^。！!]{{0,6}}(不记得|忘了|忘记|想不起|记不清)")),
    (Kind.WHY, re.compile(rf"(为什么|为啥|干嘛|凭什么|为何){_SPAN}(要|需要|得){_SPAN}"
                          r"(尾号|手机|号码|后四位|后4位|邮箱|联系方式|查询密码|验证|核实|审核|核验)|(为什么|为啥|为何)[^。！!]{0,6}(审核|核验|拦)")),
    (Kind.CONTACT, re.compile(r"(客服|人工|官方)[^。！!]{0,4}(电话|热线|号码|联系方式|微信|QQ)|怎么联系|联系方式"
                              r"|电话多少")),
    (Kind.TICKET_STATUS, re.compile(rf"工单{_SPAN}(到哪|怎么样|进度|处理|状态|多久)|还有人吗|有人吗|客服呢|人呢"
                                    r"|真人呢|客服(到底)?(什么时候|多久)")),
    (Kind.ETA, re.compile(rf"(多久|多长时间|什么时候|几点|几时|要等){_SPAN}(到|好|充|完成|成功|处理)"
                          r"|(到账|到)[^。！!]{0,4}(要多久|需要多久|要等多久)|还要等(多久|多长)|(要|需要|得)多久"
                          r"|多久(能|会|才)|多长时间")),
    # Closing the ticket, or keeping it ("关掉吧" / "先别关").
    (Kind.AFFIRM, re.compile(r"^(嗯|好|好的|那|可以)?[\s,，]*(关(了|掉|闭)?吧|关掉|关闭吧?|可以关了?|帮我关了?)"
                             r"[!！。~]*$")),
    (Kind.DENY, re.compile(r"先别关|别关|不要关|先留着|留着吧|不用关")),
    (Kind.AFFIRM, re.compile(r"^(嗯|好|好的|那|行|可以)?[\s,，]*(转吧|转|帮我转(吧)?|那就转(吧)?|快转)[!！。~]*$")),
    # "扣钱了吗", "是不是扣了两次": a question about the debit, answered from the record, never a claim.
    (Kind.DEBIT_QUESTION, re.compile(r"(扣|付)(了|款|钱|费){0,2}(吗|么|没有?)(?!成|到|充|扣|付)|是不是(扣|付|多扣|重复)"
                                     r"|有没有(扣|被扣|扣钱|扣款)|(扣|收)了?(两|2|二)次(吗|么|[？?])"
                                     r"|会不会(已经)?扣(了)?(钱)?[？?]?$")),
    # "No person, thanks" (先不用 / 不用转 / 等会再说): a no, not a goodbye and not "I'll try".
    (Kind.DENY, re.compile(r"^(那)?(先|暂时)?不(用|要|需要)(了)?(转|找人工|人工)?([，,。！!\s]|$)"
                           r"|不(用|要)转|先不转|不转人工|等会再说|以后再说|再说吧")),
    (Kind.HUMAN, re.compile(r"转人工|人工客服|找人工|要人工|真人客服|转真人")),
    (Kind.CANCEL, re.compile(r"^(算了|不用了|不弄了|不查了|不要了|先这样吧|那算了)|算了[，,。！!]*(不用|不弄|不查)")),
    (Kind.TRYING, re.compile(r"(?<![帮给让替])我(先)?(试|看)(一?下|试|看)|稍等|等(我|一下|会)|马上(去|试)"
                             r"|我去(看|试|查)|这就去")),
    (Kind.STILL, re.compile(r"还是(没|不|一样|老样子)|(没|未|没有|不)(到账|收到|充上|变化|反应)|(没|未|没有)到"
                            r"|没(用|效果|变)|不行|不管用|(仍然|依然|还)(没|未|在)(到|充|显示|卡|退|回)"
                            r"|一直(没|在|显示|卡)|没(有)?(看到|找到|查到|显示|退款|退回|记录)")),
    (Kind.SOLVED, re.compile(r"^(已经)?(到了|到账了|好了|解决了|可以了|成功了|收到了|搞定了|有了|显示成功|充上了)"
                             r"(啊|呀|哦|了|！|!|。|，|,|谢谢|\s)*$|(已经|终于)(到账|到了|好了|充上|成功)")),
]
_NOT_SOLVED = re.compile(r"(没|不|未)(到|好|成功|充上)|吗|么|\?|？")
_COMPLAIN_WORDS = re.compile(r"投诉|举报|12315|消协|维权|领导|经理|主管|曝光|工商|差评|上级|负责人|媒体")
# What an explicit success says: the NLU's "solved" without any of these ("我刷新了") is trying, not solved.
_SUCCESS = re.compile(r"到了|到账|好了|解决|成功|有了|可以了|收到|搞定|充上|正常了|ok了|OK了|显示已")
# Agreement, and nothing else: "好的", "哦哦 好的", "好 快点", "好吧", "行", "明白了", "我等着".
_AFFIRM = re.compile(r"^(哦+|嗯+|噢+|喔+|那)?[\s,，]*"
                     r"(好的?|好吧|行吧|那行|也行|ok|okay|OK|行|可以|嗯嗯|收到|明白了?|知道了|懂了|我等着|等着)"
                     r"[\s,，]*(快点|那我等等|那我等着|我等着|我再等等|等等吧|明白了?)?[!！。~～.]*$")
# Nothing to read: punctuation or symbols only, a keyboard mash, a hesitation.
_CONTENTLESS = re.compile(r"[\W_]*|[A-Za-z]*?([a-z])\1{2,}[A-Za-z]*|(额|呃|啊|哈|诶|唉|哎|emm+|嗯[？?]+)+[\W_]*",
                          re.IGNORECASE)
_WORDS = re.compile(r"ok|okay|hi|hello|hey|yes|no|thx|thanks|thank you|bye|help|refund|pending|sorry", re.IGNORECASE)
_VOWELS = re.compile(r"[aeiou]", re.IGNORECASE)
# A correction ("不对，是这个") replaces the order being talked about; an addition ("还有一单") comes next.
_SWITCH = re.compile(r"不对|搞错|弄错|打错|应该是|不是这个|换成|换一个|换个订单|是这个订单|重新查|改成")
_ALSO = re.compile(r"还有(一|个|一个)?(单|订单|笔)|另外(还有|一个|一单|一笔)?|也(有|是|显示|没|一样)|还有这个"
                   r"|第二个|两个都|再(帮我)?(查|看)(一下)?(这个|另一个|一个)|另一(个|笔|单)")
# Saying it was charged twice, as opposed to asking.
_DUPLICATE = re.compile(r"(扣|付|收)了?(我|我们|俺)?(两|2|二)次|(两|2|二)笔|重复(扣|付|收)|多扣|扣重")


_ASKED_AFTER = re.compile(r"\s*了?\s*(吗|么|嘛|没有?(?=[啊呀呢吗？?\s。，,!！]|$)|[？?])")  # "扣了没(有)" asks
_ASKED_BEFORE = re.compile(r"(会不会|是不是|有没有|会|怕|万一|如果|要是|假如|不会)\s*$")


def _asked(folded: str, start: int, end: int) -> bool:
    """Whether the debit words at folded[start:end] are asked about ("扣了吗", "会不会扣钱") rather than said."""
    return bool(_ASKED_AFTER.match(folded, end) or _ASKED_BEFORE.search(folded[max(0, start - 4):start]))


def read_facts(text: str, entities: Iterable[Mapping[str, Any]] = (), order_format: OrderFormat = FORMATS["km"],
               proof: Proof = Proof.TAIL, awaiting_proof: bool = False) -> Facts:
    """Everything the message's words give; nothing here depends on its intent. `order_format` and `proof` are
    the order source's (topup/sources); `awaiting_proof`: the proof was just asked for."""
    entities = [e for e in entities if isinstance(e, Mapping)]
    found = order_format.find(text, [e.get("value") for e in entities if e.get("entity") == "order_id"])
    tail_hint = next((e.get("value") for e in entities if e.get("entity") == "phone_last4"), None)
    folded = fold_width(text)
    claims = any(not _asked(folded, m.start(), m.end()) for m in CLAIMS_DEBIT.finditer(folded))
    twice = any(not _asked(folded, m.start(), m.end()) for m in _DUPLICATE.finditer(folded))
    switch = bool(found.numbers) and bool(_SWITCH.search(folded))
    given = read_proof(proof, text, found.spans, tail_hint, awaiting_proof and not found.numbers)
    return Facts(orders=found.numbers, malformed=found.malformed, tail=given,
                 switch=switch, also=bool(found.numbers) and not switch and bool(_ALSO.search(folded)),
                 claims_debit=claims, claims_twice=twice)


# Kinds that give way when the message carries an order number or a tail: then it is about the order.
_YIELD_TO_FACTS = frozenset({Kind.UNCLEAR, Kind.OFF_TOPIC, Kind.GREET, Kind.AFFIRM, Kind.DENY, Kind.TRYING, Kind.THANK,
                             Kind.CANCEL, Kind.BOT, Kind.PREVENTION, Kind.MAINTENANCE, Kind.RATE, Kind.GOODBYE})


_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _mash(folded: str) -> bool:
    """A keyboard mash: Latin letters only, no known word, and no vowel, a long run without one, or all on one row
    of the keyboard ("asdfgh", "qwerqwer")."""
    letters = folded.strip().lower()
    if len(letters) < 4 or not letters.isascii() or not letters.isalpha() or _WORDS.fullmatch(letters):
        return False  # several words, digits, Chinese, or a word it knows: not a mash
    one_row = any(set(letters) <= set(row) for row in _KEYBOARD_ROWS)
    return one_row or not _VOWELS.search(letters) or re.search(r"[^aeiou]{4,}", letters) is not None


def kind_of(intent: str | None, text: str, facts: Facts) -> Kind:
    """What the message is: an unambiguous phrasing first, else the NLU's intent."""
    folded = fold_width(text).strip()
    kind = _decided(intent, folded)
    if (facts.orders or facts.tail) and (kind in _YIELD_TO_FACTS or (kind is Kind.CONTACT and EMAIL.search(folded))):
        return Kind.INFORM  # a message that gives an order number or a proof is about the order ("x@qq.com" too)
    return kind


def _decided(intent: str | None, folded: str) -> Kind:
    if folded.startswith("/"):  # a button's payload ("/solved", "/request_human"): it says exactly what it means
        return _INTENT_KINDS.get(intent or "", Kind.UNCLEAR)
    if not (facts_like := re.search(r"\d", folded)) and (_CONTENTLESS.fullmatch(folded) or _mash(folded)):
        return Kind.UNCLEAR
    if _AFFIRM.fullmatch(folded):
        return Kind.AFFIRM
    for kind, pattern in _RULES:
        if pattern.search(folded):
            if kind is Kind.SOLVED and _NOT_SOLVED.search(folded):
                continue
            return kind
    kind = _INTENT_KINDS.get(intent or "", Kind.UNCLEAR)
    if kind is Kind.COMPLAIN and not _COMPLAIN_WORDS.search(folded):
        return Kind.FRUSTRATED  # a formal complaint flags the ticket: only when the words say so
    if kind is Kind.SOLVED and not _SUCCESS.search(folded):
        return Kind.TRYING  # "我刷新了": the step was done, its result not said yet
    if kind is Kind.PAY_AGAIN and not re.search(_QUESTION, folded) and not facts_like:
        return Kind.TRYING  # "好的 我去重新付": going to do it, not asking
    return kind


# The web app tells the conversation that a watched order changed by triggering this intent (Rasa's
# trigger_intent) with the entities order_id and order_event: an intent of its own would be one more label for the
# NLU to learn, with nothing to learn from. Rasa writes such a message as "EXTERNAL: <intent>", which nobody can
# type through a channel (a typed "/intent{…}" starts with "/"), so the pair tells the system from a customer.
ORDER_CHANGED_INTENT = "check_order_status"


def is_order_change(original: str, entities: Iterable[Mapping[str, Any]]) -> bool:
    return original.startswith(EXTERNAL) and any(
        isinstance(e, Mapping) and e.get("entity") == "order_event" for e in entities)


def order_changed(entities: Iterable[Mapping[str, Any]]) -> Message:
    """The system's news that an order changed (Rasa's trigger_intent, from topup/services/watch.py)."""
    values = {e.get("entity"): e.get("value") for e in entities if isinstance(e, Mapping)}
    order, event = values.get("order_id"), values.get("order_event")
    facts = Facts(orders=(order,) if isinstance(order, str) and order else (),
                  order_event=event if isinstance(event, str) else None)
    return Message(text="", kind=Kind.ORDER_CHANGED, intent=ORDER_CHANGED_INTENT, facts=facts)


def read_message(text: str, intent: str | None, entities: Iterable[Mapping[str, Any]] = (),
                 original: str = "", returning: bool = False, order_format: OrderFormat = FORMATS["km"],
                 proof: Proof = Proof.TAIL, awaiting_proof: bool = False) -> Message:
    """One customer message as the engine reads it: `text` as the NLU normalised it, `original` as typed;
    `returning`: the first message of a new session of a conversation that had one before; the order source's
    `order_format` and `proof`, and whether the proof was just asked for (`awaiting_proof`)."""
    entities = list(entities)
    if is_order_change(original, entities):
        return order_changed(entities)
    text = text if isinstance(text, str) else ""
    facts = read_facts(text, entities, order_format, proof, awaiting_proof)
    return Message(text=text, kind=kind_of(intent, text, facts), intent=intent, facts=facts, original=original or text,
                   returning=returning)
