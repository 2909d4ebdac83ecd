"""Every vehicle's fault table names real telemetry channels, modes and triggers of that vehicle."""
import pytest

from fsw.core.fdir import FaultProtection
from fsw.core.health import Health
from fsw.core.topology import Topology
from sim.faults.install import generic_monitors, table_module
from sim.faults.linkwatch import LinkWatch


def lander():
    from fsw.vehicles.lander import build_lander
    return build_lander().topology


def rover():
    from fsw.vehicles.rover.vehicle import build_rover
    from fsw.vehicles.lander import build_lander
    topo = build_rover().topology
    topo.add(build_lander().sta)
    return topo


def scenario_topology(name):
    from fsw.core import SimClock
    from sim.deployment import Deployment
    dep = Deployment(name, 1)
    plant = dep.plant()
    clock = SimClock(plant.now_ns())
    return dep.flight(dep.sim_devices(plant), clock)[0]


BUILDERS = {"lander": lander, "rover": rover, "mav": lambda: scenario_topology("ascent"),
            "ero": lambda: scenario_topology("capture"), "zone": lambda: scenario_topology("zone")}


@pytest.mark.parametrize("vehicle", sorted(BUILDERS))
def test_table_binds_to_the_vehicle(vehicle):
    topo = BUILDERS[vehicle]()
    tables = table_module(vehicle)
    if topo.protection is not None:               # a flight build: its protection is installed
        table = topo.protection.table
        assert {m.name for m in generic_monitors(tables)} <= {m.name for m in table}
    else:                                         # components alone: bind the table here
        from fsw.core.restart import WarmRestart
        from fsw.core.checkpoint import CheckpointStore
        topo.add(Health("health", type("Ex", (), {"fault_listeners": []})()))
        topo.add(LinkWatch())
        topo.add(WarmRestart("restart", CheckpointStore("/nonexistent/ck"), topo, None))
        table = tuple(tables.fault_table(topo)) + generic_monitors(tables)
    FaultProtection("fdir-check", topo, table)    # raises on an unknown channel
    for m in table:
        for a in m.response:
            comp = topo.components[a.target]
            assert a.trigger in comp._machine.events, f"{m.name}: {a.describe()}"
        if m.when is not None:
            comp = topo.components[m.when[0]]
            assert set(m.when[1]) <= set(comp.MODES.modes), m.name
    for comp, modes in tables.OUTCOME_MODES.items():
        if comp in topo.components:
            assert set(modes) <= set(topo.components[comp].MODES.modes)
