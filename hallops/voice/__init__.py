"""Offline spoken announcements: the words of a call (text.py) and their audio (engine.py, espeak-ng)."""
