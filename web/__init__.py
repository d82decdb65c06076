"""The website chat page, the embeddable widget and the agent console (aiohttp), started with `python -m web`."""
