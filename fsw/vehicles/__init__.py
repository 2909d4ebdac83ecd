"""The four MSR vehicles, one package each, and what they share (tube custody)."""
