"""The headless display agent: follows a hall over the live websocket and drives a terminal board and a
speaker, for screens without a browser (LED controllers, audio-only columns). Run: python -m displays.agent."""
