"""Test helpers for flight code (need the `test` extra: hypothesis). Not used in flight."""
