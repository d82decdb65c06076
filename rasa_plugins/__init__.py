"""What Rasa itself loads: input channels, the Chinese NLU components, the rule policy, the tracker and lock
stores, custom actions that fail politely, and the two server entry points that install them."""
