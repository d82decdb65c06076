"""An agent's image reaches the customer the way a reply does: action_deliver_agent_messages says it as an image,
in order with the replies around it, each once."""

from __future__ import annotations

from helpers import make_tracker, run_action

from actions.takeover import ActionDeliverAgentMessages
from tests import images
from topup.app import App
from topup.model import Complaint
from topup.services.handoff import HandoffRequest

CID = "image-delivery-conversation"


async def test_an_agents_image_is_said_as_an_image_between_the_replies(db: App) -> None:
    ticket_no = db.handoffs.hand_off(HandoffRequest(CID, "KM20261127004215", True, Complaint.RECHARGE_STUCK,
                                                    "一直在充值", "customer_request")).ticket_no
    db.console.claim(ticket_no, "xiaowang")
    db.console.post_agent_message(ticket_no, "xiaowang", "这是供应商那边的充值记录：")
    image = db.attachments.store(CID, "agent", "xiaowang", images.png(), ticket_no)
    db.console.post_agent_message(ticket_no, "xiaowang", "[图片]", image.token)
    db.console.post_agent_message(ticket_no, "xiaowang", "已经到账了，您看一下")

    _, dispatcher = await run_action(ActionDeliverAgentMessages(), make_tracker("", None, sender_id=CID))
    said = [(m.get("text"), m.get("image")) for m in dispatcher.messages]
    assert said == [("【客服小王】这是供应商那边的充值记录：", None), (None, f"/api/attachments/{image.token}"),
                    ("【客服小王】已经到账了，您看一下", None)]
    _, again = await run_action(ActionDeliverAgentMessages(), make_tracker("", None, sender_id=CID))
    assert again.messages == []
