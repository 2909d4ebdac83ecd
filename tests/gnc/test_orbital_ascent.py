"""Ascent guidance: the stage model against the rocket equation, the burn predictor, the
linear-tangent solver closing the loop on its own model, the stage-2 planner and the trim."""
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.gnc.ascent_guidance import (AscentTarget, Stage1Solver, Stage2Planner, StageModel,
                                     guidance_frame, insertion_trim, newton, pitch_program,
                                     predict_burn)
from fsw.gnc.kepler import add_scaled, apsides, cross, norm, plane_normal, unit

GM = 4.282837e13
RE = 3396.2e3
TARGET = AscentTarget(RE + 343e3, math.radians(25.0), GM)
S1 = StageModel(285 * 9.80665, 55.0, 386.0, 181.0)
S2 = StageModel(295 * 9.80665, 35.0, 146.0, 71.0)
FREE = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))


@settings(max_examples=30)
@given(st.floats(0.8, 1.25))
def test_predicted_burn_in_free_space_gives_the_rocket_equation(k):
    # far from Mars gravity is negligible: the velocity gain is ve ln(m0 / mf) for any scale
    r = (1e13, 0.0, 0.0)
    _, v = predict_burn(r, (0.0, 0.0, 0.0), GM, S2, k, 0.0, S2.burn_time_s / k, FREE, 0.0, 0.0, 0.0)
    assert abs(norm(v) - S2.delta_v) < 5e-4 * S2.delta_v   # RK2 on the knot-aligned grid


def test_thrust_curve_delivers_the_propellant_impulse():
    f_end, m_end = S1.thrust_and_mass(S1.burn_time_s)
    assert f_end == 0.0 and abs(m_end - S1.mass_burnout_kg) < 1e-9
    f_mid, m_mid = S1.thrust_and_mass(0.5 * S1.burn_time_s)
    assert S1.mass_burnout_kg < m_mid < S1.mass_ignition_kg and f_mid > 0.0


def test_pitch_program_interpolates_and_holds_its_ends():
    table = ((0.0, 80.0), (15.0, 65.0))
    assert math.isclose(math.degrees(pitch_program(7.5, table)), 72.5)
    assert math.isclose(math.degrees(pitch_program(-1.0, table)), 80.0)
    assert math.isclose(math.degrees(pitch_program(99.0, table)), 65.0)


def test_newton_solves_a_known_system():
    x, f, ok = newton(lambda x: [x[0] ** 2 - 4.0, x[0] * x[1] - 6.0], [1.0, 1.0],
                      steps=(1e-6, 1e-6), max_step=(10.0, 10.0), iterations=30, tol=(1e-9, 1e-9))
    assert ok and abs(x[0] - 2.0) < 1e-6 and abs(x[1] - 3.0) < 1e-6


def launch_state():
    lat = math.radians(18.4)
    r = (RE * math.cos(lat), 0.0, RE * math.sin(lat))
    n = plane_normal(r, TARGET.inclination_rad, (0.0, 0.0, 1.0))
    e_r, e_t = unit(r), cross(n, unit(r))
    v = add_scaled(add_scaled((0.0, 7.0882e-5 * r[0], 0.0), 500.0, e_r), 250.0, e_t)
    return add_scaled(r, 8000.0, e_r), v


def test_linear_tangent_closed_loop_on_its_model_hits_the_transfer_orbit():
    """Steer a vacuum point mass with the solver, re-solving every second, from 15 s into
    the burn: at burnout the coast orbit must have the target apoapsis and inclination."""
    r, v = launch_state()
    solver = Stage1Solver(TARGET, S1, S2.delta_v)
    t, dt, sol, t_sol = 15.0, 0.05, None, 0.0
    while t < S1.burn_time_s:
        if sol is None or t - t_sol >= 1.0 - 1e-9:
            if S1.burn_time_s - t > 5.0:
                sol, t_sol = solver.solve(t, r, v, t), t
        u = sol.direction(t - t_sol)
        r, v = _step(r, v, u, S1.accel(t + 0.5 * dt), dt)
        t += dt
    ap = apsides(r, v, GM)
    assert abs(ap.apoapsis_m - TARGET.radius_m) < 3e3
    assert abs(math.degrees(ap.inclination_rad) - 25.0) < 0.05
    va = ap.h / ap.apoapsis_m
    assert abs(va - (TARGET.circular_speed - S2.delta_v)) < 10.0


def _step(r, v, u, a_t, dt):
    rn = norm(r)
    g = tuple(-GM * c / rn ** 3 for c in r)
    a = tuple(g[i] + a_t * u[i] for i in range(3))
    return (tuple(r[i] + v[i] * dt + 0.5 * a[i] * dt * dt for i in range(3)),
            tuple(v[i] + a[i] * dt for i in range(3)))


def test_stage2_plan_puts_burnout_at_the_target_radius_as_an_apsis():
    # a coast ellipse whose apoapsis is the target radius and whose apoapsis speed is short
    # of circular by stage 2's delta-v: the plan must end circular at the target
    ra = TARGET.radius_m
    va = TARGET.circular_speed - S2.delta_v
    rp_state = ((ra, 0.0, 0.0), (0.0, va * math.cos(TARGET.inclination_rad), va * math.sin(TARGET.inclination_rad)))
    # start 400 s before apoapsis
    from fsw.gnc.kepler import propagate
    r0, v0 = propagate(*rp_state, -400.0, GM)
    plan = Stage2Planner(TARGET, S2).plan(0.0, r0, v0)
    assert plan.converged
    assert abs(plan.predicted_periapsis_m - ra) < 3e3 and abs(plan.predicted_apoapsis_m - ra) < 3e3
    assert 300.0 < plan.t_ignition_s < 400.0     # lit before apoapsis, centred about it


@settings(max_examples=40)
@given(st.floats(-20e3, 20e3), st.floats(-30.0, 30.0), st.floats(-5.0, 5.0), st.floats(-3.0, 3.0))
def test_trim_makes_the_point_an_apsis_with_the_far_side_on_target(dr, dvt, dvr, dvn):
    rad = TARGET.radius_m + dr
    r = (rad, 0.0, 0.0)
    c = TARGET.circular_speed
    ci, si = math.cos(TARGET.inclination_rad), math.sin(TARGET.inclination_rad)
    v = (dvr, (c + dvt) * ci - dvn * si, (c + dvt) * si + dvn * ci)
    dv = insertion_trim(r, v, TARGET)
    ap = apsides(r, tuple(v[i] + dv[i] for i in range(3)), GM)
    near, far = sorted((rad, TARGET.radius_m))
    assert abs(ap.periapsis_m - near) < 1.0 and abs(ap.apoapsis_m - far) < 1.0
    assert abs(math.degrees(ap.inclination_rad) - 25.0) < 1e-6
    e_r, e_t, n = guidance_frame(r, v, TARGET.inclination_rad)
    assert abs(sum((v[i] + dv[i]) * e_r[i] for i in range(3))) < 1e-9
