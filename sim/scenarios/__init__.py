"""The built-in scenarios (`msr sil NAME`): each module ends with its `SCENARIO` declaration
(`sim.registry.Scenario`), registered in pyproject.toml's `msr.scenarios` entry points."""
