"""Services: each call owns one unit of work and returns plain dataclasses."""
