"""Wait until every URL given answers 200 (bounded: 180 s), or exit 1."""

from __future__ import annotations

import sys
import time
import urllib.request

DEADLINE_S = 180


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def main(urls: list[str]) -> int:
    end = time.monotonic() + DEADLINE_S
    pending = list(urls)
    while pending and time.monotonic() < end:
        pending = [u for u in pending if not ready(u)]
        if pending:
            time.sleep(1)
    if pending:
        print(f"not ready after {DEADLINE_S}s: {', '.join(pending)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
