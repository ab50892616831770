"""The built-in offline provider: an animatic (previz), not AI imagery. No key, no network."""
