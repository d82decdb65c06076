"""How the assistant's processes are started: Rasa and the action server with our hardening, a balancer."""
