"""Saling promosi: recommendations and friends."""
