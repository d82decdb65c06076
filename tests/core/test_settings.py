"""The settings: each variable defined once, checked at start with a message an operator can act on, secrets that
fail closed, and docs/CONFIGURATION.md generated from the definitions."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import settings as settings_profile
from hypothesis import strategies as st

from topup.agents import hash_password
from topup.ratelimit import Rate
from topup.settings import (
    DEMO_AGENT_PASSWORD,
    ENDPOINTS_VARIABLES,
    ROOT,
    Deployment,
    LockStore,
    SettingsError,
    load,
    markdown,
    specs,
)

SECRETS = ("TOPUP_ACTION_TOKEN", "TOPUP_RASA_TOKEN", "TOPUP_CONSOLE_SECRET", "TOPUP_CUSTOMER_TOKEN_SECRET")


def problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as raised:
        load(env)
    return raised.value.problems


def scaled(tmp_path: Path, **env: str) -> dict[str, str]:
    """A scaled deployment with everything it needs (its own agents file, every secret), changed by `env`."""
    agents = tmp_path / "agents.yml"
    agents.write_text(yaml.safe_dump({"agents": [{"username": "wang", "display_name": "王",
                                                  "password_hash": hash_password("a-real-password")}]}))
    base = {"TOPUP_DEPLOYMENT": "scaled", "TOPUP_STATE_DIR": str(tmp_path), "TOPUP_AGENTS_FILE": str(agents)}
    base.update({name: f"{name.lower()}-0123456789abcdef" for name in SECRETS})
    return {**base, **env}


def test_embedded_defaults_need_nothing(tmp_path: Path) -> None:
    settings = load({"TOPUP_STATE_DIR": str(tmp_path)})
    assert settings.deployment is Deployment.EMBEDDED
    assert settings.database_url == f"sqlite:///{tmp_path}/topup.db"
    assert settings.tracker_url == f"sqlite:///{tmp_path}/tracker.db"
    assert settings.outbox_dir == tmp_path / "outbox"
    assert settings.lock_store_url == "" and settings.effective_lock_store is LockStore.MEMORY
    assert settings.chat_rate == Rate(20, 10) and settings.action_timeout_seconds == 2.5
    assert settings.action_url == "http://127.0.0.1:5055/webhook" and settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.agents_file == ROOT / "demo" / "console_agents.yml"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TOPUP_CHAT_RATE": "abc"}, "TOPUP_CHAT_RATE=abc: expected count/seconds such as 20/10, or off"),
        ({"TOPUP_ACTION_TIMEOUT_SECONDS": "-1"},
         "TOPUP_ACTION_TIMEOUT_SECONDS=-1: expected a number greater than 0 (seconds)"),
        ({"TOPUP_DEPLOYMENT": "cluster"}, "TOPUP_DEPLOYMENT=cluster: expected one of embedded, scaled"),
        ({"TOPUP_MAX_VERIFY_ATTEMPTS": "0"}, "TOPUP_MAX_VERIFY_ATTEMPTS=0: expected a whole number of at least 1"),
        ({"TOPUP_RASA_PORT": "70000"}, "TOPUP_RASA_PORT=70000: expected a whole number from 1 to 65535 (port)"),
        ({"TOPUP_TIMEZONE": "Mars/Olympus"}, "TOPUP_TIMEZONE=Mars/Olympus: expected a time zone name"),
        ({"TOPUP_BUSINESS_HOURS": "22:00-09:00"}, "TOPUP_BUSINESS_HOURS=22:00-09:00: expected HH:MM-HH:MM"),
        ({"TOPUP_GC_FREEZE": "maybe"}, "TOPUP_GC_FREEZE=maybe: expected 1 or 0"),
        ({"TOPUP_DATABASE_URL": "orders.db"}, "TOPUP_DATABASE_URL=orders.db: expected a URL starting with sqlite://"),
        ({"TOPUP_LOCK_STORE_URL": "localhost:6379"}, "TOPUP_LOCK_STORE_URL=localhost:6379: expected a URL"),
        ({"TOPUP_OUTBOX_RETRY_SECONDS": "nan"}, "TOPUP_OUTBOX_RETRY_SECONDS=nan: expected a number greater than 0"),
    ],
)
def test_an_invalid_value_names_the_variable_and_the_expected_form(tmp_path: Path, env: dict, expected: str) -> None:
    found = problems({"TOPUP_STATE_DIR": str(tmp_path), **env})
    assert len(found) == 1 and found[0].startswith(expected), found


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    found = problems({"TOPUP_STATE_DIR": str(tmp_path), "TOPUP_CHAT_RATE": "abc", "TOPUP_ACTION_TIMEOUT_SECONDS": "-1",
                      "TOPUP_DEPLOYMENT": "cluster"})
    assert [p.split("=")[0] for p in found] == ["TOPUP_DEPLOYMENT", "TOPUP_CHAT_RATE", "TOPUP_ACTION_TIMEOUT_SECONDS"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TOPUP_ACTION_DB_SECONDS": "3"},
         "TOPUP_ACTION_DB_SECONDS=3: expected less than TOPUP_ACTION_TIMEOUT_SECONDS"),
        ({"TOPUP_RASA_WORKERS": "2"}, "TOPUP_RASA_WORKERS > 1 needs TOPUP_LOCK_STORE_URL"),
        ({"TOPUP_LOCK_STORE": "redis"}, "TOPUP_LOCK_STORE=redis needs TOPUP_LOCK_STORE_URL"),
        ({"TOPUP_RASA_SERVERS": "2"}, "TOPUP_RASA_SERVERS=2: several servers need TOPUP_DEPLOYMENT=scaled"),
    ],
)
def test_settings_that_contradict_each_other_are_refused(tmp_path: Path, env: dict, expected: str) -> None:
    found = problems({"TOPUP_STATE_DIR": str(tmp_path), **env})
    assert len(found) == 1 and found[0].startswith(expected), found


def test_empty_means_the_default_except_where_empty_is_a_value(tmp_path: Path) -> None:
    settings = load(scaled(tmp_path, TOPUP_CHAT_RATE="", TOPUP_REDIS_URL=""))
    assert settings.chat_rate == Rate(20, 10)  # empty: the default
    assert settings.redis_url == ""  # empty: no Redis for the limits, although the scaled default has one


def test_a_secret_is_never_shown_in_the_message(tmp_path: Path) -> None:
    found = problems(scaled(tmp_path, TOPUP_CONSOLE_SECRET="short-secret"))
    assert found == ["TOPUP_CONSOLE_SECRET=<hidden>: expected a random string of at least 16 characters "
                     "(make one: python -m topup.settings new-secret)"]


def test_embedded_secrets_are_made_once_per_checkout_and_kept_private(tmp_path: Path) -> None:
    first = load({"TOPUP_STATE_DIR": str(tmp_path)})
    again = load({"TOPUP_STATE_DIR": str(tmp_path)})
    other = load({"TOPUP_STATE_DIR": str(tmp_path / "other-checkout")})
    for name in ("action_token", "rasa_token", "console_secret", "customer_token_secret"):
        assert getattr(first, name) == getattr(again, name) and len(getattr(first, name)) >= 32
        assert getattr(first, name) != getattr(other, name)
    assert len({first.action_token, first.rasa_token, first.console_secret, first.customer_token_secret}) == 4
    mode = stat.S_IMODE((tmp_path / "secrets.env").stat().st_mode)
    assert mode == 0o600
    explicit = load({"TOPUP_STATE_DIR": str(tmp_path), "TOPUP_RASA_TOKEN": "set-by-the-operator-123"})
    assert explicit.rasa_token == "set-by-the-operator-123" and explicit.action_token == first.action_token


def test_concurrent_starts_agree_on_one_generated_secret(tmp_path: Path) -> None:
    code = "import sys; from topup.settings import load; print(load({'TOPUP_STATE_DIR': sys.argv[1]}).console_secret)"
    runs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
            for _ in range(4)]
    values = {run.communicate(timeout=60)[0].strip() for run in runs}
    assert len(values) == 1 and len(values.pop()) >= 32


def test_the_scaled_deployment_never_makes_secrets_up(tmp_path: Path) -> None:
    env = scaled(tmp_path)
    for name in SECRETS:
        del env[name]
    found = problems(env)
    assert [p.split(" ")[0] for p in found] == list(SECRETS)
    assert all("is not set: the scaled deployment never makes secrets up" in p for p in found)
    assert not (tmp_path / "secrets.env").exists()


def test_the_scaled_deployment_refuses_the_demo_agents(tmp_path: Path) -> None:
    found = problems(scaled(tmp_path, TOPUP_AGENTS_FILE=str(ROOT / "demo" / "console_agents.yml")))
    assert len(found) == 1 and "xiaowang, xiaoli still sign in with the demo password" in found[0]
    rehashed = tmp_path / "rehashed.yml"  # the demo password under a new salt is still the demo password
    demo_again = hash_password(DEMO_AGENT_PASSWORD)
    rehashed.write_text(yaml.safe_dump({"agents": [{"username": "a", "password_hash": demo_again}]}))
    assert "a still sign in with the demo password" in problems(scaled(tmp_path, TOPUP_AGENTS_FILE=str(rehashed)))[0]
    (tmp_path / "none.yml").write_text("agents: []\n")
    assert "holds no agent accounts" in problems(scaled(tmp_path, TOPUP_AGENTS_FILE=str(tmp_path / "none.yml")))[0]


def test_a_complete_scaled_deployment_loads(tmp_path: Path) -> None:
    settings = load(scaled(tmp_path))
    assert settings.scaled and settings.rasa_servers == 2 and settings.action_servers == 2
    assert settings.database_url.startswith("postgresql+psycopg2://") and settings.tracker_url.startswith("postgresql://")
    assert settings.effective_lock_store is LockStore.REDIS and settings.redis_url.startswith("redis://")
    assert not settings.demo_orders


def test_an_env_file_holds_the_secrets_and_the_environment_wins(tmp_path: Path) -> None:
    env = scaled(tmp_path)
    lines = ["# the deployment's secrets", *(f"export {n}='{env.pop(n)}-from-file'" for n in SECRETS), ""]
    (tmp_path / "topup.env").write_text("\n".join(lines))
    settings = load({**env, "TOPUP_ENV_FILE": str(tmp_path / "topup.env"),
                     "TOPUP_RASA_TOKEN": "from-the-environment-1"})
    assert settings.action_token == "topup_action_token-0123456789abcdef-from-file"
    assert settings.rasa_token == "from-the-environment-1"
    assert problems({**env, "TOPUP_ENV_FILE": str(tmp_path / "missing.env")})[0].startswith(
        f"TOPUP_ENV_FILE={tmp_path / 'missing.env'}: cannot be read")


def test_a_child_process_given_the_environment_gets_the_same_settings(tmp_path: Path) -> None:
    settings = load({"TOPUP_STATE_DIR": str(tmp_path), "TOPUP_CHAT_RATE": "off", "TOPUP_RASA_PORT": "6005"})
    assert load(settings.environment()) == settings
    assert load(settings.environment()).chat_rate is None  # "off" stays off, not back to the default
    assert sorted(settings.endpoints_environment()) == sorted(ENDPOINTS_VARIABLES)


def test_the_endpoints_variables_follow_the_lock_store(tmp_path: Path) -> None:
    embedded = load({"TOPUP_STATE_DIR": str(tmp_path)}).endpoints_environment()
    assert embedded["ENDPOINTS_LOCK_STORE_TYPE"] == "in_memory"
    assert embedded["ENDPOINTS_TRACKER_URL"] == f"sqlite:///{tmp_path}/tracker.db"
    url = "rediss://user:pw%40x@10.0.0.5:6380/4"
    redis = load(scaled(tmp_path, TOPUP_LOCK_STORE_URL=url)).endpoints_environment()
    assert (redis["ENDPOINTS_LOCK_STORE_TYPE"], redis["ENDPOINTS_LOCK_STORE_URL"]) == (
        "rasa_plugins.lock_store.AtomicRedisLockStore", url)  # the whole URL: user, TLS, password as Redis reads it
    stock = load(scaled(tmp_path, TOPUP_LOCK_STORE="redis-stock", TOPUP_LOCK_STORE_URL=url)).endpoints_environment()
    assert [stock[f"ENDPOINTS_LOCK_STORE_{part}"] for part in ("TYPE", "URL", "PORT", "DB", "PASSWORD")] == [
        "redis", "10.0.0.5", "6380", "4", "pw@x"]  # Rasa's stock store wants the parts, the password decoded


def test_every_variable_is_defined_once_with_a_description() -> None:
    names = [spec.env for _, spec in specs()]
    assert len(names) == len(set(names))
    assert all(name.startswith("TOPUP_") for name in names)
    for _, spec in specs():
        assert spec.doc.strip() and spec.default.doc.strip() and spec.group, spec.env
    fields = {f.name for f in dataclasses.fields(load.__globals__["Settings"])}
    assert fields == {name for name, _ in specs()}


def test_no_code_reads_the_environment_for_a_setting() -> None:
    """Every TOPUP_* variable is read through topup/settings.py, nowhere else (tests and the launcher's child
    environment aside)."""
    files = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    reads = re.compile(r"""(environ\.get\(|environ\[|getenv\()\s*["'](TOPUP_|ENDPOINTS_|RASA_TOKEN|WEB_PORT)""")
    offenders = []
    for path in files.split():
        if path.startswith("tests/") or path == "topup/settings.py":
            continue
        for line in (ROOT / path).read_text(encoding="utf-8").splitlines():
            if reads.search(line):
                offenders.append(f"{path}: {line.strip()}")
    assert offenders == []


def test_configuration_docs_are_generated_from_the_settings() -> None:
    written = (ROOT / "docs" / "CONFIGURATION.md").read_text(encoding="utf-8")
    assert written == markdown(), "stale: python -m topup.settings markdown > docs/CONFIGURATION.md"
    for _, spec in specs():
        assert f"`{spec.env}`" in written


def test_the_command_line_check_stops_with_the_message(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "TOPUP_STATE_DIR": str(tmp_path), "TOPUP_CHAT_RATE": "abc"}
    result = subprocess.run([sys.executable, "-m", "topup.settings", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "TOPUP_CHAT_RATE=abc: expected count/seconds" in result.stderr


@settings_profile(max_examples=60, deadline=None)
@given(timeout=st.floats(min_value=0.001, max_value=1e7, allow_nan=False), fraction=st.floats(0.01, 0.99),
       seconds=st.floats(min_value=1e-3, max_value=1e6), count=st.integers(1, 10**6))
def test_any_valid_value_reaches_a_child_process_unchanged(tmp_path_factory: pytest.TempPathFactory, timeout: float,
                                                           fraction: float, seconds: float, count: int) -> None:
    """Numbers are written so that reading them back gives the same value: a launcher and its children never
    disagree (6 significant digits once turned 2.1234567 < 2.1234568 into 2.12346 < 2.12346, refused)."""
    state = tmp_path_factory.mktemp("roundtrip")
    original = load({"TOPUP_STATE_DIR": str(state), "TOPUP_ACTION_TIMEOUT_SECONDS": repr(timeout),
                     "TOPUP_ACTION_DB_SECONDS": repr(timeout * fraction), "TOPUP_OUTBOX_RETRY_SECONDS": repr(seconds),
                     "TOPUP_CHAT_RATE": f"{count}/{seconds!r}"})
    assert load(original.environment()) == original


def test_a_secret_never_shows_in_the_settings_repr(tmp_path: Path) -> None:
    settings = load(scaled(tmp_path))
    shown = repr(settings) + repr(load({"TOPUP_STATE_DIR": str(tmp_path / "embedded")}))
    for name in ("action_token", "rasa_token", "console_secret", "customer_token_secret"):
        assert getattr(settings, name) not in shown and f"{name}=" not in shown


def test_a_password_in_a_wrong_url_is_not_shown(tmp_path: Path) -> None:
    found = problems({"TOPUP_STATE_DIR": str(tmp_path), "TOPUP_DATABASE_URL": "postgres+x://topup:hunter2pass@db/t"})
    assert found == ["TOPUP_DATABASE_URL=postgres+x://topup:***@db/t: expected a URL starting with sqlite:// or "
                     "postgresql:// or mysql://"]


def test_a_misspelt_or_retired_variable_is_named(tmp_path: Path) -> None:
    found = problems({"TOPUP_STATE_DIR": str(tmp_path), "TOPUP_CHAT_RAET": "5/10", "RASA_TOKEN": "x" * 20,
                      "WEB_PORT": "9000", "TOPUP_ENV_FILE": "", "TOPUP_REQUIRE_SERVICES": "1"})
    assert found == ["RASA_TOKEN is no longer read: set TOPUP_RASA_TOKEN instead",
                     "TOPUP_CHAT_RAET is not a setting (did you mean TOPUP_CHAT_RATE?)",
                     "WEB_PORT is no longer read: set TOPUP_WEB_PORT instead"]
    assert load({"TOPUP_STATE_DIR": str(tmp_path), "WEB_PORT": "9000", "TOPUP_WEB_PORT": "9000"}).web_port == 9000


@pytest.mark.parametrize("rate", ["20/nan", "20/inf", "20/-1", "20", "x/10"])
def test_a_rate_needs_a_real_window(tmp_path: Path, rate: str) -> None:
    assert problems({"TOPUP_STATE_DIR": str(tmp_path), "TOPUP_CHAT_RATE": rate})[0].startswith(
        f"TOPUP_CHAT_RATE={rate}: expected count/seconds")


def test_endpoints_yml_expands_exactly_the_computed_variables(tmp_path: Path) -> None:
    expanded = set(re.findall(r"\$\{(\w+)\}", (ROOT / "endpoints.yml").read_text(encoding="utf-8")))
    assert expanded == set(ENDPOINTS_VARIABLES)
    for settings in (load({"TOPUP_STATE_DIR": str(tmp_path / "e")}), load(scaled(tmp_path)),
                     load(scaled(tmp_path, TOPUP_LOCK_STORE="redis-stock"))):
        assert set(settings.endpoints_environment()) == expanded


def test_a_made_secret_never_looks_like_a_command_line_option() -> None:
    from topup.settings import new_secret

    assert not any(new_secret().startswith("-") for _ in range(2000))  # 1 in 64 would, drawn at random


def test_the_rasa_token_reaches_rasa_as_one_argument_whatever_it_starts_with(tmp_path: Path) -> None:
    from rasa_plugins.rasa_server import rasa_arguments

    settings = load({"TOPUP_STATE_DIR": str(tmp_path), "TOPUP_RASA_TOKEN": "-starts-with-a-dash-0123"})
    arguments = rasa_arguments(settings, 5005)
    assert "--auth-token=-starts-with-a-dash-0123" in arguments and "-starts-with-a-dash-0123" not in arguments
