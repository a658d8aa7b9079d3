"""Speaking up: case codes and passphrases, sealed cases, and what may be logged about them."""
