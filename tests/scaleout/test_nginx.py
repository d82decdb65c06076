"""nginx in front of the scaled deployment, as `make run-scaled` runs it: the public ports are nginx's, the servers
behind it are the launcher's, and a dead action server is passed over without the customer noticing."""

from __future__ import annotations

import time

import requests

from ops.launcher import nginx
from ops.launcher.plan import plan
from tests.scaleout.conftest import Cluster, texts

ORDER, TAIL = "KM20261127004215", "3821"


def test_the_public_ports_are_served_by_nginx_with_the_rendered_template(cluster: Cluster) -> None:
    stack = cluster.stack
    processes = stack.processes()
    assert processes["nginx"]["statename"] == "RUNNING"
    assert sorted(processes) == ["actions-1", "actions-2", "nginx", "rasa-1", "rasa-2", "web"]
    rendered = (stack.state_dir / "nginx" / "nginx.conf").read_text(encoding="utf-8")
    assert rendered == nginx.local_conf(stack.settings, plan(stack.settings))
    for program in plan(stack.settings):  # every server behind nginx is in its upstreams
        if program.name != "nginx":
            assert f"server 127.0.0.1:{program.port} " in rendered, program.name
    web = requests.get(f"{stack.web_url}/widget.js", timeout=10)
    assert web.status_code == 200 and web.headers["Server"].startswith("nginx")
    assert requests.get(f"{stack.url('actions')}/health", timeout=10).json() == {"status": "ok"}
    reply = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": "via-nginx", "message": "你好"},
                          timeout=30)
    assert reply.status_code == 200 and reply.headers["Server"].startswith("nginx") and "小卡" in texts(reply.json())


def test_a_killed_action_server_is_passed_over_by_nginx(cluster: Cluster) -> None:
    stack = cluster.stack
    old = stack.kill("actions-1")
    answers = []
    for n in range(6):  # whichever server nginx tries first, the customer gets the lookup, not an apology
        sender = f"so-nginx-{n}-{time.time_ns()}"
        answers.append(texts(cluster.say(n % 2, sender, f"充值一直没到账 {ORDER} 尾号{TAIL}")))
    assert all("查到了" in a and "中国移动话费" in a for a in answers), answers
    stack.wait_restarted("actions-1", old, timeout_s=60)
