"""How long a customer waits for an agent's reply: live, and when they come back after closing the page.

The whole assistant runs as `make run` starts it (free ports, a state folder of its own); Debian's Chromium plays
the customers. Each trial: a customer says something, the case is handed off and an agent takes it over (the
header names them), the customer closes the page, the agent replies, the customer opens the page again; the time
from starting to load it to the reply on screen is "returning". Then, with the page open, the agent replies once
more: from the API call to the reply on screen is "live". Writes reports/bench/DELIVERY.md (`make bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import Page, expect, sync_playwright

from ops.bench.stats import ratio, summary_ms
from ops.launcher.stack import Stack
from topup.model import Complaint, StepRecord
from topup.services.handoff import HandoffRequest
from topup.settings import DEMO_AGENT_PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
STORE = "topup-chat:guest"


def _agent_session(url: str) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{url}/api/login", json={"username": "xiaowang", "password": DEMO_AGENT_PASSWORD},
                            timeout=10)
    response.raise_for_status()
    return session


def _reply(agent: requests.Session, url: str, ticket_no: str, text: str) -> None:
    response = agent.post(f"{url}/api/tickets/{ticket_no}/reply", json={"text": text}, timeout=10)
    if response.status_code != 200:
        raise RuntimeError(f"reply: {response.status_code} {response.text[:200]}")


# When each agent bubble first appeared, in the page's own clock (epoch ms): Playwright's waits poll at 100 ms and
# more, too coarse to time a delivery with.
WATCH = """window.__seen = {};
new MutationObserver(function () {
  document.querySelectorAll('.tkf-from-agent .tkf-bubble').forEach(function (b) {
    if (!(b.textContent in window.__seen)) window.__seen[b.textContent] = Date.now();
  });
}).observe(document, { subtree: true, childList: true, characterData: true });"""


def _shown(page: Page, text: str) -> float:
    """Wait for the reply (once, never twice); when it appeared, epoch seconds."""
    expect(page.locator(".tkf-from-agent .tkf-bubble").filter(has_text=text)).to_have_count(1, timeout=20_000)
    return page.evaluate("t => Object.keys(window.__seen).filter(k => k.indexOf(t) >= 0).map(k => window.__seen[k])"
                         "[0]", text) / 1000


def trial(stack: Stack, browser: object, agent: requests.Session, n: int) -> tuple[float, float]:
    url = stack.web_url
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 780})
    context.add_init_script(WATCH)
    try:
        page = context.new_page()
        page.goto(url)
        page.locator(".tkf-input").fill("在吗，话费一直没到账")
        page.get_by_role("button", name="发送", exact=True).click()
        expect(page.locator(".tkf-from-bot .tkf-bubble")).not_to_have_count(0, timeout=20_000)
        conversation = page.evaluate("key => JSON.parse(localStorage.getItem(key + ':session'))", STORE)
        made = stack.app.handoffs.hand_off(HandoffRequest(
            conversation_id=conversation, order_no=None, verified=False, complaint=Complaint.RECHARGE_STUCK,
            customer_description="话费一直没到账", reason="request_human",
            steps=[StepRecord("refresh_relogin", "not_helped")]))
        claimed = agent.post(f"{url}/api/tickets/{made.ticket_no}/claim", timeout=10)
        if claimed.status_code != 200:
            raise RuntimeError(f"claim: {claimed.status_code} {claimed.text[:200]}")
        expect(page.locator(".tkf-title")).to_have_text("客服小王", timeout=20_000)
        page.close()
        away = f"第 {n} 位客户，您不在的时候我查过了：运营商那边已经在补发"
        _reply(agent, url, made.ticket_no, away)
        page = context.new_page()
        page.goto(url)
        returning = _shown(page, away) - page.evaluate("performance.timeOrigin") / 1000
        live = f"第 {n} 位客户，补发成功了，您刷新看看"
        started = time.time()
        _reply(agent, url, made.ticket_no, live)
        return returning, _shown(page, live) - started
    finally:
        context.close()


def report(results: dict) -> str:
    back, live = results["returning"], results["live"]
    return "\n".join([
        "# Agent replies: live and to a returning customer", "",
        f"Run {results['at']} with `python -m ops.bench.delivery` on {os.cpu_count()} CPU cores (load average "
        f"before: {results['load_before']}): the whole assistant (`make run`'s launcher), Debian's Chromium as the "
        f"customers, {back['n']} trials. Returning: from starting to load the page again to the reply the agent "
        "wrote while it was closed on screen (the page's missed-messages fetch). Live: from the agent's reply "
        "request to the reply on the open page.", "",
        "| delivery | p50 | p95 | max |", "| --- | --- | --- | --- |",
        f"| to a returning customer | {back['p50_ms']} ms | {back['p95_ms']} ms | {back['max_ms']} ms |",
        f"| live, page open | {live['p50_ms']} ms | {live['p95_ms']} ms | {live['max_ms']} ms |", "",
        f"Returning / live at p50: {results['ratio_p50']}×. Every reply was shown exactly once.", ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("reports/bench"))
    args = parser.parse_args(argv)
    returning, live = [], []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as work, \
            Stack.running(Path(work), {"TOPUP_BUSINESS_HOURS": "00:00-23:59"}) as stack, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        agent = _agent_session(stack.web_url)
        trial(stack, browser, agent, 0)  # warm-up: the first page load compiles the widget, the first turn the model
        for n in range(1, args.trials + 1):
            back, now = trial(stack, browser, agent, n)
            returning.append(back)
            live.append(now)
            print(f"  trial {n}: returning {back * 1000:.0f} ms, live {now * 1000:.0f} ms", flush=True)
        browser.close()
    results = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "load_before": round(load, 2),
               "returning": summary_ms(returning), "live": summary_ms(live)}
    results["ratio_p50"] = ratio(results["returning"]["p50_ms"], results["live"]["p50_ms"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "DELIVERY.md").write_text(report(results), encoding="utf-8")
    (args.out / "delivery.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
