"""Guidance, navigation and control algorithms shared by the vehicles (pure numpy, no I/O)."""
