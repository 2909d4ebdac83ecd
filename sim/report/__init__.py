"""Reports drawn from run directories (needs the `plots` extra for PNGs)."""
