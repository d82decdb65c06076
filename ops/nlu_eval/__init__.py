"""Measuring the Chinese NLU on the held-out set (tests/nlu/heldout.yml) and comparing pipelines."""
