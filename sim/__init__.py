"""The simulator: Mars, orbits, terrain, sensor visibility and the plants the flight code flies in.

See docs/sim.md for modules, frames, units and how each plant is driven.
"""
