"""Providers: the contract (:mod:`.base`) and the built-in offline provider (:mod:`.local`)."""
