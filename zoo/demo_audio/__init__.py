"""Bundled demo clips (see scripts/make_demo_audio.py)."""
