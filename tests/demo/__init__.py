"""Tests of the streaming keyword demo (zoo.demo)."""
