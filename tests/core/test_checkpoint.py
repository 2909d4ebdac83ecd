"""Checkpoints survive torn writes and corruption by falling back to the previous copy."""
import hashlib
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsw.core import Executive, SimClock, Topology
from fsw.core.checkpoint import CheckpointError, CheckpointStore, MemoryCheckpointStore
from fsw.core.restart import WarmRestart

from .test_canonical import states as checkpoint_states
from .thermal_example import HeaterZone

STATE = {"mode": "COAST", "custody": {"T01": "OS", "T02": "OS"}, "counters": {"cmd": 7}}


def test_round_trip_and_generation(tmp_path):
    store = CheckpointStore(tmp_path / "cp.json")
    assert store.save(STATE) == 1
    assert store.save({**STATE, "mode": "BURN2"}) == 2
    fresh = CheckpointStore(tmp_path / "cp.json")
    assert fresh.load()["mode"] == "BURN2" and fresh.generation == 2
    assert (tmp_path / "cp.json").stat().st_mode & 0o777 == 0o600


def test_torn_newest_falls_back_to_previous(tmp_path):
    store = CheckpointStore(tmp_path / "cp.json")
    store.save(STATE)
    store.save({**STATE, "mode": "BURN2"})
    data = (tmp_path / "cp.json").read_bytes()
    (tmp_path / "cp.json").write_bytes(data[: len(data) // 2])  # reset mid-write
    assert CheckpointStore(tmp_path / "cp.json").load()["mode"] == "COAST"


def test_no_valid_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="missing"):
        CheckpointStore(tmp_path / "none.json").load()
    (tmp_path / "bad.json").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="bad framing"):
        CheckpointStore(tmp_path / "bad.json").load()


@given(st.integers(0, 400), st.integers(0, 255))
def test_any_single_byte_corruption_is_detected_or_harmless(tmp_path_factory, pos, value):
    path = tmp_path_factory.mktemp("cp") / "cp.json"
    CheckpointStore(path).save(STATE)
    data = bytearray(path.read_bytes())
    pos %= len(data)
    data[pos] = value
    path.write_bytes(bytes(data))
    try:
        got = CheckpointStore(path).load()
    except CheckpointError:
        return
    assert got == STATE  # only a byte rewritten with its own value can pass the checksum


def crafted(path, body: bytes) -> None:
    """A checkpoint whose SHA-256 is right (anyone can compute one) but whose body is not ours."""
    path.write_bytes(b"msr-checkpoint-1 %s\n%s\n" % (hashlib.sha256(body).hexdigest().encode(), body))


@pytest.mark.parametrize("body, why", [
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),             # RecursionError before
    (b'{"generation":1e400,"state":{}}', "not a 64-bit count"),       # OverflowError before
    (b'{"generation":' + b"9" * 30 + b',"state":{}}', "not a 64-bit count"),
    (b'{"generation":true,"state":{}}', "not a 64-bit count"),
    (b'{"generation":3,"state":[1,2]}', "state is not a table"),
    (b'[1,2]', "not a checkpoint body"),
    (b'{"generation":3,"state":{},"extra":1}', "not a checkpoint body"),
])
def test_crafted_checksum_valid_checkpoints_are_refused_and_the_previous_one_used(tmp_path, body, why):
    store = CheckpointStore(tmp_path / "cp.json")
    store.save(STATE)
    store.save({**STATE, "mode": "BURN2"})
    crafted(tmp_path / "cp.json", body)
    assert CheckpointStore(tmp_path / "cp.json").load()["mode"] == "COAST"     # the .prev copy
    crafted(tmp_path / "cp.json.prev", body)
    with pytest.raises(CheckpointError, match=why):
        CheckpointStore(tmp_path / "cp.json").load()


def test_a_crafted_executive_time_line_is_a_cold_start_not_a_crash(tmp_path):
    """restart.restore checks the executive's saved numbers before restoring anything."""
    def build():
        topo = Topology("zone", [HeaterZone("z1")])
        ex = Executive(SimClock(), 10)
        wr = WarmRestart("restart", CheckpointStore(tmp_path / "cp.json"), topo, ex)
        topo.add(wr)
        return topo, ex, wr
    topo, ex, wr = build()
    assert wr.save()
    good = json.loads((tmp_path / "cp.json").read_text().split("\n")[1])
    for bad in ({"t_ns": 1e400}, {"start_ns": "0"}, {"ticks_run": 10**30}, {"step_faults": [1]}, None):
        state = json.loads(json.dumps(good["state"]))
        if bad is None:
            state["executive"] = [1, 2]
        else:
            state["executive"].update(bad)
        body = json.dumps({"generation": 9, "state": state}, allow_nan=True).replace("Infinity", "1e400")
        crafted(tmp_path / "cp.json", body.encode())
        (tmp_path / "cp.json.prev").unlink(missing_ok=True)
        topo, ex, wr = build()
        assert wr.resume(0) is None
        cold = [dict(e.args)["reason"] for e in topo.events if e.name == "COLD_START"]
        assert len(cold) == 1 and "executive" in cold[0]
        assert topo["z1"].mode == "OFF" and ex.ticks_run == 0        # nothing half-restored


# ---- the encoding that reuses unchanged components' text (fsw.core.canonical)
def whole(state, generation) -> bytes:
    """The checkpoint as it was made before the reuse: one json.dumps of the whole body."""
    body = json.dumps({"generation": generation, "state": state}, sort_keys=True,
                      separators=(",", ":"), allow_nan=False)
    return b"msr-checkpoint-1 %s\n%s\n" % (hashlib.sha256(body.encode()).hexdigest().encode(), body.encode())


@given(st.lists(checkpoint_states, min_size=1, max_size=5))
def test_every_save_is_the_whole_encoding_to_the_byte_and_loads_as_its_json_round_trip(sequence):
    store = MemoryCheckpointStore()
    for state in sequence:
        generation = store.save(state)
        assert store.data == whole(state, generation)
        back = MemoryCheckpointStore()
        back.data = store.data
        got = back.load()
        expected = json.loads(json.dumps(state, sort_keys=True))
        assert json.dumps(got) == json.dumps(expected) and back.generation == generation  # types too


@pytest.mark.parametrize("durable", [False, True])
def test_a_state_json_refuses_is_a_failed_save_at_its_first_save_and_every_one_after(tmp_path, durable):
    """A component's state encoded (and its text kept) at earlier saves that turns NaN, or holds a
    numpy scalar, fails the very save where it first does, with json's message; it saves again
    once the value is fixed."""
    class Zone(HeaterZone):
        def checkpoint_state(self):
            return super().checkpoint_state() | {"temp_C": self.temp_C}
    topo = Topology("zone", [Zone("z1")])
    ex = Executive(SimClock(), 10)
    store = CheckpointStore(tmp_path / "cp.json") if durable else MemoryCheckpointStore()
    wr = WarmRestart("restart", store, topo, ex)
    topo.add(wr)
    zone = topo["z1"]
    assert wr.save() and wr.save()
    for bad, error in ((float("nan"), "ValueError: Out of range float values are not JSON compliant"),
                       (np.int64(3), "TypeError: Object of type int64 is not JSON serializable")):
        zone.temp_C = bad
        assert wr.save() is False and wr.save() is False
        failed = [e for e in topo.events if e.name == "CHECKPOINT_FAILED"][-2:]
        assert [dict(e.args)["error"] for e in failed] == [error, error]
        zone.temp_C = -50.0
        assert wr.save()
    assert wr.tlm["save_failures"] == 4 and wr.tlm["saves"] == 4
    assert wr.store.generation == 8 == wr.tlm["generation"]     # a failed save uses up its number, as before
    assert wr.store.load()["components"]["z1"]["temp_C"] == -50.0
