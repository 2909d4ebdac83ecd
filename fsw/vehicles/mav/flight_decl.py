"""What the MAV flight manager declares: channels, events, parameters (requirement ids in
DESIGN.md). Kept apart from `flight.py` so the manager's class is its behaviour only."""
from __future__ import annotations

from fsw.core.declarations import Channel, Param
from fsw.core.devices import DEVICE_FAULT
from fsw.core.events import EventDef, Severity
from fsw.vehicles.custody import CUSTODY_EVENTS

FLIGHT_CHANNELS = (
    Channel("t_burn_s", float, "s"), Channel("motor_scale", float),
    Channel("lt_a", float), Channel("lt_b", float, "1/s"), Channel("lt_c", float),
    Channel("lt_converged", bool), Channel("stage2_ignition_s", float, "s"),
    Channel("plan_periapsis_km", float, "km"), Channel("plan_apoapsis_km", float, "km"),
    Channel("periapsis_km", float, "km"), Channel("apoapsis_km", float, "km"),
    Channel("inclination_deg", float, "deg"), Channel("trim_remaining_mps", float, "m/s"),
    Channel("trim_used_mps", float, "m/s"), Channel("tubes_in_os", int),
    Channel("interlocks_ok", bool),
)

FLIGHT_EVENTS = CUSTODY_EVENTS + (
    EventDef("LAUNCH_HOLD", Severity.WARNING_HI, "count held: {cause}", cause=str),
    EventDef("CHECKOUT_RESULT", Severity.ACTIVITY_HI, "passed={passed} {failures}", passed=bool, failures=str),
    EventDef("OS_SEALED", Severity.ACTIVITY_HI, "OS sealed with {count} tubes", count=int),
    EventDef("IGNITION", Severity.ACTIVITY_HI, "stage {stage} ignition", stage=int),
    EventDef("BURNOUT", Severity.ACTIVITY_HI, "stage {stage} burnout after {t_burn:.1f} s", stage=int, t_burn=float),
    EventDef("STAGE2_PLAN", Severity.ACTIVITY_LO,
             "ignite at {t_ig:.1f} s, predicted {rp_km:.1f} x {ra_km:.1f} km, converged {ok}", t_ig=float,
             rp_km=float, ra_km=float, ok=bool),
    EventDef("GUIDANCE_NOT_CONVERGED", Severity.WARNING_LO, "{phase}: residual {residual}", phase=str,
             residual=float),
    EventDef("TRIM_DONE", Severity.ACTIVITY_HI, "trim {used:.2f} m/s, residual {left:.3f} m/s", used=float,
             left=float),
    EventDef("ABORT_CAUSE", Severity.WARNING_HI, "{cause}", cause=str),
    DEVICE_FAULT,
    EventDef("RESTART_RULE", Severity.WARNING_HI, "after a reset in {mode}: {rule}", mode=str, rule=str),
    EventDef("DEGRADED", Severity.WARNING_HI, "{cause} failed in {mode}: {action}", cause=str, mode=str,
             action=str),
    EventDef("RECOVERED", Severity.ACTIVITY_HI, "{cause} back after {after:.1f} s: {mode} resumes", cause=str,
             after=float, mode=str),
)

def stage_params(k: int, *, isp_s: float, burn_s: float, ignition_kg: tuple[float, float],
                 burnout_kg: tuple[float, float]) -> tuple[Param, ...]:
    """The onboard model of solid stage k (`MavFlightManager.stage`): specific impulse, burn
    time, and the vehicle's mass at ignition and burnout ((lower limit, default) each)."""
    s = f"stage{k}_"
    return (Param(s + "isp_s", float, 100.0, 400.0, default=isp_s),
            Param(s + "burn_s", float, 5.0, 200.0, default=burn_s),
            Param(s + "mass_ignition_kg", float, ignition_kg[0], 2000.0, default=ignition_kg[1]),
            Param(s + "mass_burnout_kg", float, burnout_kg[0], 2000.0, default=burnout_kg[1]))


FLIGHT_PARAMS = (
    Param("target_alt_km", float, 100.0, 1500.0, default=343.0),
    Param("target_inc_deg", float, 0.0, 180.0, default=25.0),
    *stage_params(1, isp_s=285.0, burn_s=55.0, ignition_kg=(50.0, 400.0), burnout_kg=(10.0, 195.0)),
    *stage_params(2, isp_s=295.0, burn_s=35.0, ignition_kg=(10.0, 160.0), burnout_kg=(5.0, 85.0)),
    Param("pp_start_elev_deg", float, 0.0, 90.0, default=80.0),
    Param("pp_end_elev_deg", float, 0.0, 90.0, default=65.0),
    Param("pp_end_s", float, 1.0, 100.0, default=15.0),
    Param("ignition_delay_s", float, 0.1, 10.0, default=1.0),
    Param("launch_time_s", float, 0.0, 1e9, default=60.0),
    Param("arm_lead_s", float, 1.0, 600.0, default=10.0),
    Param("spin_lead_s", float, 10.0, 600.0, default=60.0),
    Param("spin_up_time_s", float, 1.0, 120.0, default=15.0),
    Param("spin_rate_radps", float, 0.5, 30.0, default=10.0),
    Param("burnout_accel_mps2", float, 0.1, 10.0, default=1.0),
    Param("trim_budget_mps", float, 0.0, 200.0, default=60.0),
    Param("trim_tolerance_mps", float, 0.001, 5.0, default=0.05),
    Param("single_trim_km", float, 0.0, 1000.0, default=1000.0,
          doc="burnout radius error above which a second trim half an orbit later "
              "circularises (Mars' J2 moves osculating apsides by ~10 km per orbit)"),
    Param("min_grain_C", float, -100.0, 50.0, default=-40.0),
    Param("min_rcs_C", float, -100.0, 50.0, default=2.0),
    Param("ero_raan_deg", float, -360.0, 360.0, default=0.0),
    Param("ero_inc_deg", float, 0.0, 180.0, default=25.0),
    Param("ero_plane_tol_deg", float, 0.0, 30.0, default=1.0),
    Param("checkout_s", float, 1.0, 600.0, default=5.0),
    Param("abort_pointing_deg", float, 5.0, 180.0, default=30.0),
    Param("abort_persist_s", float, 0.1, 60.0, default=3.0),
    Param("in_orbit_periapsis_km", float, 0.0, 1000.0, default=100.0),
    Param("stage1_solve_period_s", float, 0.1, 10.0, default=1.0),
    Param("coast_plan_period_s", float, 0.5, 120.0, default=5.0),
    Param("stage1_freeze_s", float, 0.0, 60.0, default=8.0),
    Param("quiet_margin_s", float, 1.0, 600.0, default=10.0),
    Param("coarse_rate_max_radps", float, 0.0, 10.0, default=0.2,
          doc="body rates above which the 10 Hz coast rate set is left for 50 Hz"),
    Param("stage1_apoapsis_bias_km", float, -50.0, 50.0, default=5.0),
    Param("stage2_dv_margin_mps", float, -500.0, 1000.0, default=15.0,
          doc="stage-2 delta-v held back when stage 1 shapes the coast orbit (covers "
              "the drag of the early coast, which the onboard predictor ignores)"),
    Param("restart_nav_max_age_s", float, 0.0, 60.0, default=2.0,
          doc="after a reset in a burn: continue if the restored navigation is at most this "
              "old (checkpoints every 1 s and on key events, 0.2 s reboot), else abort"),
    Param("degraded_ignition_slip_s", float, 0.0, 120.0, default=20.0,
          doc="a fault in the coast or the spin-up still present this long after the planned "
              "start of the spin (stage-2 ignition - spin_up_time_s) aborts"),
    Param("insertion_degraded_max_s", float, 1.0, 36000.0, default=600.0,
          doc="a fault in the orbit insertion lasting longer aborts (the OS is released "
              "into the orbit reached)"),
)

__all__ = ["FLIGHT_CHANNELS", "FLIGHT_EVENTS", "FLIGHT_PARAMS"]
