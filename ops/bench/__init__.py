"""Load benchmark of the assistant against the stock Rasa bot (`python -m bench`, `make bench`).

Kept out of the test command: it takes minutes and its numbers depend on the machine, not on correctness.
"""
