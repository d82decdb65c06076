"""An operator connecting their platform: every wrong setting refuses the start with a message naming it, and the
password in the URL is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from topup import settings
from topup.settings import OrderSourceKind


def _load(tmp_path: Path, **env: str) -> settings.Settings:
    return settings.load({"TOPUP_STATE_DIR": str(tmp_path), **env})


@pytest.mark.parametrize("env, says", [
    ({"TOPUP_ORDER_SOURCE": "dujiaoka"}, "needs TOPUP_ORDER_SOURCE_URL"),
    ({"TOPUP_ORDER_SOURCE": "dujiaoka", "TOPUP_ORDER_SOURCE_URL": "htp:/127.0.0.1/db"}, "expected a URL"),
    ({"TOPUP_ORDER_SOURCE": "dujiaoka", "TOPUP_ORDER_SOURCE_URL": "mysql://ro:s3cret-pw@127.0.0.1/dj"},
     "use the PyMySQL driver"),
    ({"TOPUP_ORDER_SOURCE": "dujiaoka", "TOPUP_ORDER_SOURCE_URL": "mysql+pymysql://ro:s3cret-pw@127.0.0.1:abc/dj"},
     "not a database URL"),
    ({"TOPUP_ORDER_SOURCE": "dujiaoka", "TOPUP_ORDER_SOURCE_URL": "mysql+pymysql://ro:s3cret-pw@127.0.0.1:3306"},
     "names no database"),
    ({"TOPUP_ORDER_SOURCE": "dujiaoka", "TOPUP_ORDER_SOURCE_URL": "postgresql://ro@127.0.0.1/dj"},
     "MySQL/MariaDB only"),
    ({"TOPUP_ORDER_SOURCE": "shopify"}, "TOPUP_ORDER_SOURCE=shopify"),
    ({"TOPUP_ORDER_SOURCE_URL": "mysql+pymysql://ro@127.0.0.1/dj"}, "TOPUP_ORDER_SOURCE is builtin"),
    ({"TOPUP_ORDER_SOURCE": "acgfaka", "TOPUP_ORDER_SOURCE_URL": "mysql+pymysql://ro@127.0.0.1/acg",
      "TOPUP_ORDER_SOURCE_PREFIX": "acg_; DROP"}, "TOPUP_ORDER_SOURCE_PREFIX"),
    ({"TOPUP_ORDER_SOURCE": "dujiaoka", "TOPUP_ORDER_SOURCE_URL": "mysql+pymysql://ro@127.0.0.1/dj",
      "TOPUP_PLATFORM_TICKETS_URL": "mysql+pymysql://rw@127.0.0.1/dj"}, "only acg-faka"),
    ({"TOPUP_ORDER_SOURCE": "acgfaka", "TOPUP_ORDER_SOURCE_URL": "mysql+pymysql://ro@127.0.0.1/acg",
      "TOPUP_ORDER_WEBHOOK_SECRET": "short"}, "TOPUP_ORDER_WEBHOOK_SECRET"),
])
def test_a_wrong_source_setting_refuses_the_start(tmp_path: Path, env: dict[str, str], says: str) -> None:
    with pytest.raises(settings.SettingsError) as refused:
        _load(tmp_path, **env)
    message = str(refused.value)
    assert says in message, message
    assert "s3cret-pw" not in message


def test_a_right_source_setting_starts_and_hides_its_password(tmp_path: Path) -> None:
    loaded = _load(tmp_path, TOPUP_ORDER_SOURCE="acgfaka",
                   TOPUP_ORDER_SOURCE_URL="mysql+pymysql://ro:s3cret-pw@127.0.0.1:3306/acg")
    assert loaded.order_source is OrderSourceKind.ACGFAKA and loaded.order_source_prefix == "acg_"
    assert "s3cret-pw" not in repr(loaded)
