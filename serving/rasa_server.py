"""`rasa` with the assistant's hardening installed: python -m serving.rasa_server run --model ... (same arguments).

What it adds before Rasa starts: custom actions that apologise and offer a person when the action
server is down or slow (serving.resilient_action). Everything else is configuration: endpoints.yml
(tracker store, lock store, action server token) and the command line (auth token, interface).
"""

from __future__ import annotations

import sys

from serving import resilient_action


def main() -> None:
    resilient_action.install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
