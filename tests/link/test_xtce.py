"""XTCE export: valid against the official XTCE 1.2 schema, and read by an independent XTCE
decoder (LASP's space_packet_parser) exactly as `msr gds decode` reads the same log."""
from __future__ import annotations

import math
import re
import tempfile
import warnings
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from fsw.link.dictionary import Dictionary, VehicleSpec
from fsw.link.log import iter_records, read_log
from fsw.link.telemetry import AckPacket, AckStatus, ChannelPacket, EventPacket, TelemetryEncoder
from fsw.link.xtce import NS, to_xtce
from msr.cli import cli

from .kit import KEYS, component_specs, spec_of_testbed, linked_testbed, one_component_vehicle, value_of
from .xtce_check import decoder, schema_errors

X = {"x": NS}


@pytest.fixture(scope="module")
def ascent_run(tmp_path_factory):
    """The seed-1 ascent in SIL: telemetry.bin and the dictionary.json the run wrote."""
    from sim.scenarios import ascent
    out = tmp_path_factory.mktemp("ascent-1")
    assert ascent.run(seed=1, out_dir=out, overrides={})["success"]
    return out


def same(ours, theirs) -> bool:
    """Exact equality of a value decoded by us and by the other decoder (NaN equals NaN)."""
    if isinstance(ours, bool):
        return theirs in (0, 1) and bool(theirs) is ours
    if isinstance(ours, float):
        return float(theirs) == ours or (math.isnan(ours) and math.isnan(float(theirs)))
    if isinstance(ours, int):
        return int(theirs) == ours
    return str(theirs) == ours


def compare(xml_path, log: bytes, dictionary: Dictionary) -> tuple[int, int, int]:
    """(values equal, values compared, packets) over every packet of `log`; every packet must
    be consumed to its last bit (the decoder's warning is an error)."""
    defn = decoder(xml_path)
    equal = total = packets = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for (_, rec), p in zip(iter_records(log), read_log(log, dictionary), strict=True):
            got = defn.parse_bytes(bytes(rec))
            pairs = [(got["time_ns"], p.t_ns), (got["ccsds_apid"], p.apid)]
            if isinstance(p, ChannelPacket):
                pairs += [(got[f"{p.component}__{k}"], v) for k, v in p.values.items()]
            elif isinstance(p, EventPacket):
                pairs += [(got[f"{p.component}__event_id"], p.name),
                          (got["event_severity"], p.severity.name)]
            elif isinstance(p, AckPacket):
                pairs += [(got["ack_key_id"], p.key_id), (got["ack_cmd_seq"], p.cmd_seq),
                          (got["ack_status"], p.status.name), (got["ack_reason"], p.reason)]
            else:
                pytest.fail(f"our decoder could not read packet {packets}: {p.error}")
            packets += 1
            total += len(pairs)
            equal += sum(same(ours, theirs) for theirs, ours in pairs)
    return equal, total, packets


# ---------------------------------------------------------------- the schema
def test_every_vehicle_exports_schema_valid_xtce(tmp_path):
    out = tmp_path / "all.xml"
    r = CliRunner().invoke(cli, ["dict", "export", "--format", "xtce", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "mav" in r.output and "testbed" in r.output
    errors = schema_errors(out.read_text())
    assert errors == [], errors[:5]


def test_the_schema_check_catches_what_the_old_export_did_wrong():
    """The check can fail: a string with only <LeadingSize/> (the old export) is refused."""
    text = to_xtce(Dictionary((spec_of_testbed(),)))
    broken = re.sub(r"<DynamicValue>\s*<ParameterInstanceRef parameterRef=\"_yamcs_ignore\" />"
                    r"\s*</DynamicValue>\s*", "", text)
    assert broken != text
    assert any("LeadingSize" in e for e in schema_errors(broken))


def test_run_dictionary_exports_with_the_flights_apids(ascent_run, tmp_path):
    out = tmp_path / "mav.xml"
    r = CliRunner().invoke(cli, ["dict", "export", "--format", "xtce", "--from", str(ascent_run),
                                 "--out", str(out)])
    assert r.exit_code == 0, r.output
    root = ET.parse(out).getroot()
    assert root.get("name") == "mav"    # one vehicle: the root SpaceSystem, as decoders expect
    nav = root.find("x:TelemetryMetaData/x:ContainerSet/x:SequenceContainer[@name='nav__channels']", X)
    crit = {c.get("parameterRef"): c.get("value") for c in nav.iter(f"{{{NS}}}Comparison")}
    assert crit["ccsds_apid"] == str(0x301)          # nav is 0x301 in the flight log
    assert crit["packet_kind"] == "CHANNELS"         # compared by label, as XTCE compares
    assert schema_errors(out.read_text()) == []
    both = CliRunner().invoke(cli, ["dict", "export", "--from", str(ascent_run), "--vehicle",
                                    "mav", "--out", str(tmp_path / "x.json")])
    assert both.exit_code != 0 and "not both" in both.output


def test_containers_reference_declared_names_and_end_with_the_crc():
    v = spec_of_testbed()
    root = ET.fromstring(to_xtce(Dictionary((v,))))
    names = [e.get("name") for e in root.iter() if e.get("name")]
    assert all(re.fullmatch(r"[^./:\[\] ]+", n) for n in names)
    tm = root.find("x:TelemetryMetaData", X)
    types = {e.get("name") for e in tm.find("x:ParameterTypeSet", X)}
    params = {p.get("name"): p.get("parameterTypeRef") for p in tm.find("x:ParameterSet", X)}
    assert set(params.values()) <= types
    for cont in tm.find("x:ContainerSet", X):
        refs = [e.get("parameterRef") for e in cont.find("x:EntryList", X)]
        assert set(refs) <= set(params)
        if cont.get("abstract") != "true":
            assert refs[-1] == "packet_crc"
    counter = tm.find("x:ContainerSet/x:SequenceContainer[@name='counter__channels']", X)
    refs = [e.get("parameterRef") for e in counter.find("x:EntryList", X)]
    assert "counter__label__len" in refs and refs.index("counter__label__len") + 1 == refs.index("counter__label")
    cm = root.find("x:CommandMetaData", X)
    rng = cm.find("x:ArgumentTypeSet/x:IntegerArgumentType[@name='counter__INCREMENT__by_t']"
                  "/x:ValidRangeSet/x:ValidRange", X)
    assert (rng.get("minInclusive"), rng.get("maxInclusive")) == ("1", "1000")
    for comp in v.components:
        for c in comp.commands:
            m = cm.find(f"x:MetaCommandSet/x:MetaCommand[@name='{comp.name}__{c.name}']", X)
            anc = {a.get("name"): a.text for a in m.iter(f"{{{NS}}}AncillaryData")}
            assert anc["opcode"] == f"{c.opcode:#06x}"


# ---------------------------------------------------------------- an independent decoder
def test_independent_decoder_reads_a_sil_log_as_msr_gds_decode(ascent_run, tmp_path, capsys):
    d = Dictionary.from_json((ascent_run / "dictionary.json").read_text())
    xml = tmp_path / "mav.xml"
    xml.write_text(to_xtce(d))
    log = (ascent_run / "telemetry.bin").read_bytes()
    equal, total, packets = compare(xml, log, d)
    with capsys.disabled():
        print(f"\nXTCE decode of the seed-1 ascent log: {equal} / {total} values equal "
              f"over {packets} packets")
    assert packets > 3000 and total > 30000
    assert equal == total


def test_acks_strings_and_events_decode_alike(tmp_path):
    """The testbed vehicle: string channels, events with arguments, acks with reasons."""
    from fsw.link.log import TelemetryLogWriter
    from fsw.link.telecommand import TelecommandEncoder
    topology, ingest, spec = linked_testbed()
    log = TelemetryLogWriter(spec)
    topology.attach(log)
    ingest.ack_sinks.append(lambda a: log.on_ack(a, ingest))
    enc = TelecommandEncoder(spec, KEYS)
    ingest.process(enc.encode("counter.LABEL", {"text": "naïve ✓", "level": "HIGH", "loud": False},
                              key_id=1, auth_seq=1))
    ingest.process(enc.encode("counter.INCREMENT", {"by": 3}, key_id=1, auth_seq=2))
    ingest.process(enc.encode("counter.INCREMENT", {"by": 3}, key_id=1, auth_seq=2))  # replay
    ingest.process(b"garbage")
    topology.sample_telemetry(5_000_000)
    data = log.getvalue()
    packets = list(read_log(data, Dictionary((spec,))))
    kinds = {type(p).__name__ for p in packets}
    assert kinds == {"ChannelPacket", "EventPacket", "AckPacket"}
    assert any(isinstance(p, ChannelPacket) and p.values.get("label") == "naïve ✓" for p in packets)
    xml = tmp_path / "demo.xml"
    xml.write_text(to_xtce(Dictionary((spec,))))
    equal, total, n = compare(xml, data, Dictionary((spec,)))
    assert n == len(packets) and equal == total


def test_a_packet_of_another_build_matches_no_container(tmp_path):
    """The signature is a restriction: a changed layout is refused, not misread."""
    from space_packet_parser.exceptions import UnrecognizedPacketTypeError
    v = spec_of_testbed()
    enc = TelemetryEncoder(v)
    pkt = enc.ack(7, "link", 1, 2, AckStatus.OK, "fine")
    other = VehicleSpec(v.name, v.apid_base, tuple(
        c if c.name != "link" else type(c)(c.name, c.component_id, c.apid, c.class_name, c.modes,
                                           c.commands, c.channels[:-1], c.events)
        for c in v.components))
    xml = tmp_path / "other.xml"
    xml.write_text(to_xtce(Dictionary((other,))))
    # space_packet_parser 6.2 builds its "no container" message from its own default header
    # name (PKT_APID), so the refusal may surface as that KeyError: either way, no decode.
    with pytest.raises((UnrecognizedPacketTypeError, KeyError)):
        decoder(xml).parse_bytes(pkt)
    xml.write_text(to_xtce(Dictionary((v,))))
    assert decoder(xml).parse_bytes(pkt)["ack_reason"] == "fine"


@settings(max_examples=40)
@given(st.data())
def test_random_components_are_schema_valid_and_decode_alike(data):
    spec = data.draw(component_specs())
    vehicle = one_component_vehicle(spec)
    text = to_xtce(Dictionary((vehicle,)))
    assert schema_errors(text) == []
    if not spec.channels:
        return
    values = {c.name: data.draw(value_of(c.type, finite=True)) for c in spec.channels}
    pkt = TelemetryEncoder(vehicle).channels(12345, spec.name, values)
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
        f.write(text)
        f.flush()
        equal, total, _ = compare(f.name, pkt, Dictionary((vehicle,)))
    assert equal == total
