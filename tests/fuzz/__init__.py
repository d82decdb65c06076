"""Property-based fuzzing (hypothesis) of the actions, the trained NLU model, the parsers and the REST channel."""
