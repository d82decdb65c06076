"""Rasa custom actions: thin adapters over the ``topup`` core, one module per topic."""
