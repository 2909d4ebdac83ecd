"""The bench uses the scenario deployment split defined in `sim.deployment` (SIL and HIL
must build the flight side from the very same code)."""
from sim.deployment import (Deployment, FlightResult, ScenarioError, SilOutcome, attach_log, fly,
                            load_scenario, missing_parts, run_sil, scenario_module_name, validate_overrides)

__all__ = ["Deployment", "FlightResult", "ScenarioError", "SilOutcome", "attach_log", "fly",
           "load_scenario", "missing_parts", "run_sil", "scenario_module_name", "validate_overrides"]
