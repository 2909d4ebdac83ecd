"""Fault injection and the fault x phase matrix (issue 11): specs, injector, in-process
processor reset, fault protection installed on a scenario's flight side, the matrix runner."""
