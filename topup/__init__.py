"""Plain-Python core of the top-up support assistant.

Nothing here imports rasa or rasa_sdk: the Rasa adapters in ``actions/`` call into
this package, and the tests exercise it directly.
"""
