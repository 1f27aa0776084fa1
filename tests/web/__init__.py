"""Tests of the browser demo (web_demo/) in headless Chromium."""
