"""Committed events, fanned out to live subscribers (screens, tablets, phones)."""
