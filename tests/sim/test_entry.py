"""Entry physics against independent references (sim.entry, sim.atmosphere).

Allen and Eggers (ballistic entry, exponential atmosphere, constant flight-path angle, no
gravity): V(h) = V_E exp(-rho0 H exp(-h/H) / (2 beta sin|gamma|)), peak deceleration
V_E^2 sin|gamma| / (2 e H) at V_E / sqrt(e) (MSR_FACTS.md). The case that keeps the closed
form's assumptions is a vertical entry (gamma stays -90 deg exactly) over a non-rotating Mars
without J2; what remains is gravity, which only adds speed along the path. With altitude as the variable,
d ln V / dh = rho / (2 beta) - g / V^2, so V(h) = V_E k(h) exp(int g / V dt) with k(h) the
closed form's factor: the speed lies between V_E k(h) and V_E k(h) exp(g t / V(h)) (V only
falls below its value at time t... after the first seconds, and g <= its surface value), and the
deceleration rho V^2 / (2 beta) between the closed form's peak and that peak times
exp(2 g t / V) (a bracket, not a fudge factor), less a 1e-4 integration allowance.
"""
import math

import pytest

from fsw.gnc.site_frame import SiteFrame, state_from_entry
from sim.atmosphere import R_CO2, MarsAtmosphere
from sim.entry import CapsuleParams, EntryVehicle, G0, ParachuteParams
from sim.mars import MarsParams

NO_ROTATION = MarsParams(omega_radps=0.0, j2=0.0)


def vertical_entry(h0_m: float, speed: float, cap: CapsuleParams = CapsuleParams()) -> EntryVehicle:
    site = SiteFrame.from_deg(0.0, 0.0, NO_ROTATION.radius_eq_m)
    r, v = state_from_entry(site, 0.0, 0.0, NO_ROTATION.radius_eq_m + h0_m, speed, -math.pi / 2)
    return EntryVehicle(r, v, cap, atmosphere=MarsAtmosphere(), mars=NO_ROTATION, lift=False)


def test_ballistic_vertical_entry_is_bracketed_by_allen_eggers():
    atm, cap = MarsAtmosphere(), CapsuleParams()
    H, beta, rho0 = atm.scale_height_m, cap.ballistic_coefficient, atm.rho0_kgpm3
    h0, v0 = 70e3, 5800.0
    # V_E "at infinity" from the start state (the closed form starts in vacuum)
    v_e = v0 * math.exp(rho0 * H * math.exp(-h0 / H) / (2.0 * beta))
    ev = vertical_entry(h0, v0, cap)
    peak, v_at_peak, t_peak = 0.0, 0.0, 0.0
    profile = []
    while ev.altitude_m > 1000.0:
        ev.step(0.005)
        a = ev.decel_g * G0
        speed = math.sqrt(sum(c * c for c in ev.v))
        if a > peak:
            peak, v_at_peak, t_peak = a, speed, ev.t
        profile.append((ev.altitude_m, speed, ev.t))
    g_max = NO_ROTATION.gm_m3ps2 / NO_ROTATION.radius_eq_m ** 2
    a_ae = v_e ** 2 / (2 * math.e * H)                     # Allen-Eggers
    grav = math.exp(g_max * t_peak / v_at_peak)            # what gravity can have added
    assert a_ae * (1 - 1e-4) <= peak <= a_ae * grav ** 2 * (1 + 1e-4)
    assert grav ** 2 - 1 < 0.03                            # the bracket is tight: gravity is small here
    # the speed at the peak: V_E / sqrt(e) (MSR_FACTS.md), within the same bracket
    assert v_e / math.sqrt(math.e) * (1 - 1e-4) <= v_at_peak <= v_e / math.sqrt(math.e) * grav * (1 + 1e-4)
    for h, speed, t in profile[:: len(profile) // 12]:
        k = math.exp(-rho0 * H * math.exp(-h / H) / (2.0 * beta))
        assert v_e * k * (1 - 1e-4) <= speed <= v_e * k * math.exp(g_max * t / speed) * (1 + 1e-4)


def test_the_peak_is_where_the_closed_form_puts_it():
    """rho(h*) = beta sin|gamma| / H (gravity does not move the density where drag peaks much)."""
    atm, cap = MarsAtmosphere(), CapsuleParams()
    ev = vertical_entry(70e3, 5800.0, cap)
    best = (0.0, 0.0)
    while ev.altitude_m > 1000.0:
        ev.step(0.005)
        if ev.decel_g > best[0]:
            best = (ev.decel_g, ev.altitude_m)
    h_star = atm.scale_height_m * math.log(atm.rho0_kgpm3 * atm.scale_height_m / cap.ballistic_coefficient)
    assert abs(best[1] - h_star) < 0.02 * atm.scale_height_m


def test_parachute_inflates_then_settles_at_its_terminal_speed():
    chute = ParachuteParams()
    assert chute.area_fraction(0.5) == 0.0                                      # bag still flying out
    full = chute.mortar_to_line_stretch_s + chute.inflation_s
    assert chute.area_fraction(full) == pytest.approx(1.0 + chute.overshoot)   # opening load
    assert chute.area_fraction(chute.mortar_to_line_stretch_s + 0.5 * chute.inflation_s) < 0.5
    assert abs(chute.area_fraction(full + 10.0) - 1.0) < 1e-3
    # Steady descent on a full canopy: drag = weight, v = sqrt(2 m g / (rho Cd A)), still air, in
    # an atmosphere with a scale height so long that the density is constant over the fall (in
    # the real one the canopy lags the terminal speed by a few per cent as the air thickens).
    cap = CapsuleParams()
    flat = MarsAtmosphere(scale_height_scale=1000.0)
    site = SiteFrame.from_deg(0.0, 0.0, NO_ROTATION.radius_eq_m)
    r, v = state_from_entry(site, 0.0, 0.0, NO_ROTATION.radius_eq_m + 15000.0, 60.0, -math.pi / 2)
    ev = EntryVehicle(r, v, cap, chute, flat, NO_ROTATION, lift=False)
    ev.deploy_chute()
    ev.separate_heatshield()
    while ev.t < 160.0:          # eight time constants v_term / g
        ev.step(0.02)
    h = ev.altitude_m
    rho = flat.density(h)
    g = NO_ROTATION.gm_m3ps2 / (NO_ROTATION.radius_eq_m + h) ** 2
    cda = cap.cd * cap.area_m2 + chute.cd(ev.mach) * chute.area_m2
    v_term = math.sqrt(2.0 * ev.mass * g / (rho * cda))
    speed = math.sqrt(sum(c * c for c in ev.v))
    assert speed == pytest.approx(v_term, rel=1e-3)


def test_atmosphere_dispersions_speed_of_sound_and_winds():
    nominal = MarsAtmosphere()
    assert nominal.density(0.0) == pytest.approx(0.020)
    assert MarsAtmosphere(density_scale=1.2).density(10e3) == pytest.approx(1.2 * nominal.density(10e3))
    assert MarsAtmosphere(scale_height_scale=1.1).density(11.1e3) == pytest.approx(0.020 * math.exp(-1 / 1.1))
    wavy = MarsAtmosphere(wave_amplitude=0.1, wave_phase_rad=math.pi / 2)
    assert wavy.density(0.0) == pytest.approx(1.1 * nominal.density(0.0))
    t = nominal.temperature(8500.0)
    assert nominal.speed_of_sound(8500.0) == pytest.approx(math.sqrt(1.30 * R_CO2 * t))
    assert 220.0 < nominal.speed_of_sound(8500.0) < 240.0        # ~230 m/s near 11 km above Jezero
    assert nominal.temperature(200e3) == nominal.t_min_K
    windy = MarsAtmosphere(wind_east_low_mps=5.0, wind_east_high_mps=25.0, wind_height_m=40e3)
    assert windy.wind(-2500.0) == (5.0, 0.0) and windy.wind(20e3) == (15.0, 0.0) and windy.wind(90e3) == (25.0, 0.0)
    with pytest.raises(ValueError):
        MarsAtmosphere(density_scale=-1.0)


def test_bank_follows_the_rcs_torque_within_its_acceleration_limit():
    cap = CapsuleParams()
    ev = vertical_entry(120e3, 5800.0, cap)
    ev.torque_cmd = 10 * cap.bank_torque_max_Nm              # asks for more than the RCS gives
    for _ in range(50):
        ev.step(0.02)
    a_max = cap.bank_torque_max_Nm / cap.bank_inertia_kgm2
    assert ev.bank_rate == pytest.approx(a_max * 1.0)
    assert ev.bank == pytest.approx(0.5 * a_max * 1.0)


def test_lift_turns_the_trajectory_the_way_the_bank_says():
    """Lift up flies longer than lift down; bank right moves the capsule to the right."""
    site = SiteFrame.from_deg(0.0, 0.0, NO_ROTATION.radius_eq_m)
    r, v = state_from_entry(site, 0.0, math.pi / 2, NO_ROTATION.radius_eq_m + 60e3, 5000.0, math.radians(-12.0))

    def fly(bank):
        ev = EntryVehicle(r, v, CapsuleParams(), atmosphere=MarsAtmosphere(), mars=NO_ROTATION, bank_rad=bank)
        for _ in range(1500):
            ev.step(0.02)
        return site.to_local(ev.r)
    up, down, right = fly(0.0), fly(math.pi), fly(math.pi / 2)
    assert up[2] > down[2]
    assert right[1] < -100.0          # flying east, right is south
