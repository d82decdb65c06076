"""The conversation: its state, how a message is read, and what the assistant says and does (docs/DIALOGUE.md)."""
