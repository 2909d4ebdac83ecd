"""XTCE 1.2 export of the dictionary (the XML that Yamcs, OpenC3 COSMOS and LASP's
space_packet_parser load), valid against the OMG schema (namespace 20180204).

A dictionary of one vehicle (a run's `dictionary.json`) is exported with that vehicle as the
root SpaceSystem, the form single-system decoders read; several vehicles go under a root
"MSR" SpaceSystem, one child each.

Telemetry: an abstract `ccsds_tm` container holds the primary header, the time, the packet
kind and the component signature. Each component has a channel container and an event
container (and the link component the `command_ack` container), restricted on its APID,
on the packet kind *by label* (`CHANNELS`, `EVENT`, `ACK`: XTCE compares calibrated values)
and on the component signature, so a packet from another build matches no container instead
of decoding with the wrong layout. Every container runs to the end of the packet: a string
is a `<name>__len` parameter (u16, bytes) followed by the text, sized by a DynamicValue on
it (bits = 8 * bytes), which Yamcs and other decoders read alike; the TLV event arguments
are one binary parameter sized from the packet length (XTCE cannot describe their run-time
types: decode them with `msr gds decode`); the CRC is the `packet_crc` parameter.

Commands: an abstract `ccsds_tc` MetaCommand for the headers; one MetaCommand per command,
its opcode and APID assigned, arguments typed with ranges and enumerations; allowed modes and
the opcode are ancillary data. A string argument is a u16 byte count then UTF-8: Yamcs fills
the count from a LeadingSize (with its `_yamcs_ignore` DynamicValue convention). The 16-byte
HMAC and the CRC trailer are not modelled: a Yamcs command postprocessor must append them
(see docs/link.md). Names are `component__item` because XTCE names may not contain dots.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .apids import APID_BLOCK
from .auth import MAC_SIZE
from .dictionary import ArgSpec, ComponentSpec, Dictionary, LINK_COMPONENT, VehicleSpec
from .errors import DictionaryError
from .telemetry import AckStatus, HEADER_SIZE, KIND_ACK, KIND_CHANNELS, KIND_EVENT
from .wire import MAX_STRING
from fsw.core.events import Severity

NS = "http://www.omg.org/spec/XTCE/20180204"
NAME_OK = re.compile(r"^[^./:\[\] ]+$")
KIND_LABELS = {KIND_CHANNELS: "CHANNELS", KIND_EVENT: "EVENT", KIND_ACK: "ACK"}
CRC_PARAM = "packet_crc"
EVENT_HEAD_BYTES = 3   # u16 event id, u8 severity
YAMCS_IGNORE = "_yamcs_ignore"   # Yamcs's stand-in where XTCE demands a DynamicValue


def _name(s: str) -> str:
    if not NAME_OK.match(s):
        raise DictionaryError(f"{s!r} is not a valid XTCE name")
    return s


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    e = ET.SubElement(parent, tag, {k.rstrip("_"): str(v) for k, v in attrs.items()})
    if text is not None:
        e.text = text
    return e


def _described(parent: ET.Element, tag: str, name: str, doc: str = "",
               ancillary: dict[str, str] | None = None, **attrs: object) -> ET.Element:
    e = _sub(parent, tag, name=_name(name), **attrs)
    if doc:
        _sub(e, "LongDescription", doc)
    if ancillary:
        aset = _sub(e, "AncillaryDataSet")
        for k, v in ancillary.items():
            _sub(aset, "AncillaryData", v, name=k)
    return e


def _units(e: ET.Element, units: str = "") -> None:
    us = _sub(e, "UnitSet")
    if units:
        _sub(us, "Unit", units)


def _int_encoding(e: ET.Element, bits: int, signed: bool = False) -> None:
    _sub(e, "IntegerDataEncoding", sizeInBits=bits,
         encoding="twosComplement" if signed else "unsigned")


def _dynamic_size(parent: ET.Element, ref: str, slope: int, intercept: int = 0) -> None:
    dv = _sub(parent, "DynamicValue")
    _sub(dv, "ParameterInstanceRef", parameterRef=ref)
    if intercept:
        _sub(dv, "LinearAdjustment", slope=slope, intercept=intercept)
    else:
        _sub(dv, "LinearAdjustment", slope=slope)


def _string_encoding(e: ET.Element, length_param: str | None) -> None:
    """TM: the text sized by its length parameter; TC: Yamcs writes the u16 size tag."""
    enc = _sub(e, "StringDataEncoding", encoding="UTF-8")
    if length_param is not None:
        var = _sub(enc, "Variable", maxSizeInBits=MAX_STRING * 8)
        _dynamic_size(var, length_param, 8)
    else:
        var = _sub(enc, "Variable", maxSizeInBits=(MAX_STRING + 2) * 8)
        _sub(_sub(var, "DynamicValue"), "ParameterInstanceRef", parameterRef=YAMCS_IGNORE)
        _sub(var, "LeadingSize", sizeInBitsOfSizeTag=16)


def _typed(tset: ET.Element, kind: str, name: str, wtype: str, units: str = "", doc: str = "",
           choices: tuple[str, ...] | None = None, lo: float | None = None,
           hi: float | None = None, ancillary: dict[str, str] | None = None,
           length_param: str | None = None) -> None:
    """A Parameter or Argument type (kind = "Parameter" | "Argument") for a wire type."""
    if wtype == "bool":
        e = _described(tset, f"Boolean{kind}Type", name, doc, ancillary)
        _units(e, units)
        _int_encoding(e, 8)
    elif wtype == "i64":
        e = _described(tset, f"Integer{kind}Type", name, doc, ancillary, signed="true",
                       sizeInBits=64)
        _units(e, units)
        _int_encoding(e, 64, signed=True)
    elif wtype == "f64":
        e = _described(tset, f"Float{kind}Type", name, doc, ancillary, sizeInBits=64)
        _units(e, units)
        _sub(e, "FloatDataEncoding", sizeInBits=64, encoding="IEEE754_1985")
    elif wtype == "string":
        e = _described(tset, f"String{kind}Type", name, doc, ancillary)
        _units(e, units)
        _string_encoding(e, length_param)
        return
    elif wtype == "enum":
        e = _described(tset, f"Enumerated{kind}Type", name, doc, ancillary)
        _units(e, units)
        _int_encoding(e, 16)
        el = _sub(e, "EnumerationList")
        for i, c in enumerate(choices or ()):
            _sub(el, "Enumeration", value=i, label=c)
        return
    else:
        raise DictionaryError(f"no XTCE type for wire type {wtype!r}")
    if kind == "Argument" and wtype in ("i64", "f64") and (lo is not None or hi is not None):
        vr = _sub(_sub(e, "ValidRangeSet"), "ValidRange")
        if lo is not None:
            vr.set("minInclusive", repr(int(lo) if wtype == "i64" else float(lo)))
        if hi is not None:
            vr.set("maxInclusive", repr(int(hi) if wtype == "i64" else float(hi)))


def _enum_type(tset: ET.Element, kind: str, name: str, bits: int,
               items: list[tuple[int, str]], described: dict[int, str] | None = None) -> None:
    e = _described(tset, f"Enumerated{kind}Type", name)
    _units(e)
    _int_encoding(e, bits)
    el = _sub(e, "EnumerationList")
    for v, label in items:
        en = _sub(el, "Enumeration", value=v, label=label)
        if described and v in described:
            en.set("shortDescription", described[v][:255])


def _uint_type(tset: ET.Element, kind: str, name: str, bits: int, units: str = "") -> None:
    e = _described(tset, f"Integer{kind}Type", name, signed="false", sizeInBits=bits)
    _units(e, units)
    _int_encoding(e, bits)


TM_HEADER = [("ccsds_version", 3), ("ccsds_type", 1), ("ccsds_sec_hdr", 1), ("ccsds_apid", 11),
             ("ccsds_seq_flags", 2), ("ccsds_seq_count", 14), ("ccsds_length", 16),
             ("time_ns", 64), ("packet_kind", 8), ("signature", 16)]


class _Tm:
    """The TelemetryMetaData of one SpaceSystem being built."""

    def __init__(self, ss: ET.Element) -> None:
        tm = _sub(ss, "TelemetryMetaData")
        self.types = _sub(tm, "ParameterTypeSet")
        self.params = _sub(tm, "ParameterSet")
        self.containers = _sub(tm, "ContainerSet")

    def param(self, name: str, type_ref: str, doc: str = "") -> str:
        p = _sub(self.params, "Parameter", name=_name(name), parameterTypeRef=type_ref)
        if doc:
            _sub(p, "LongDescription", doc)
        return name

    def field(self, name: str, wtype: str, units: str = "", doc: str = "") -> list[str]:
        """Parameters for one declared field: a string is its length, then its text."""
        if wtype != "string":
            _typed(self.types, "Parameter", name + "_t", wtype, units)
            return [self.param(name, name + "_t", doc)]
        length = f"{name}__len"
        _uint_type(self.types, "Parameter", length + "_t", 16, "bytes")
        _typed(self.types, "Parameter", name + "_t", "string", units, length_param=length)
        return [self.param(length, length + "_t"), self.param(name, name + "_t", doc)]

    def container(self, name: str, doc: str, entries: list[str], comp: ComponentSpec,
                  kind: int) -> None:
        c = _described(self.containers, "SequenceContainer", name, doc)
        el = _sub(c, "EntryList")
        for p in [*entries, CRC_PARAM]:
            _sub(el, "ParameterRefEntry", parameterRef=p)
        base = _sub(c, "BaseContainer", containerRef="ccsds_tm")
        cl = _sub(_sub(base, "RestrictionCriteria"), "ComparisonList")
        _sub(cl, "Comparison", parameterRef="ccsds_apid", value=comp.apid)
        _sub(cl, "Comparison", parameterRef="packet_kind", value=KIND_LABELS[kind])
        _sub(cl, "Comparison", parameterRef="signature", value=comp.signature)


def _telemetry(ss: ET.Element, v: VehicleSpec) -> None:
    tm = _Tm(ss)
    for name, bits in TM_HEADER:
        if name == "packet_kind":
            _enum_type(tm.types, "Parameter", "packet_kind_t", 8, sorted(KIND_LABELS.items()))
        else:
            _uint_type(tm.types, "Parameter", f"{name}_t", bits, "ns" if name == "time_ns" else "")
        tm.param(name, f"{name}_t")
    _uint_type(tm.types, "Parameter", f"{CRC_PARAM}_t", 16)
    tm.param(CRC_PARAM, f"{CRC_PARAM}_t", "CRC-16/CCITT-FALSE over every byte before it")
    _enum_type(tm.types, "Parameter", "severity_t", 8, [(int(s), s.name) for s in Severity])
    tm.param("event_severity", "severity_t")
    args = _described(tm.types, "BinaryParameterType", "event_args_t")
    _units(args)
    size = _sub(_sub(args, "BinaryDataEncoding"), "SizeInBits")
    _dynamic_size(size, "ccsds_length", 8, -8 * (HEADER_SIZE - 7 + EVENT_HEAD_BYTES + 2))
    tm.param("event_args", "event_args_t", "u8 count, then per argument: u8 name length, "
             "name, u8 type tag, value (docs/link.md); decode with msr gds decode")
    head = _described(tm.containers, "SequenceContainer", "ccsds_tm",
                      "CCSDS primary header, spacecraft time (ns), packet kind, component "
                      "signature", abstract="true")
    el = _sub(head, "EntryList")
    for name, _ in TM_HEADER:
        _sub(el, "ParameterRefEntry", parameterRef=name)

    for comp in v.components:
        cn = _name(comp.name)
        names = [n for ch in comp.channels
                 for n in tm.field(f"{cn}__{_name(ch.name)}", ch.type, ch.units, ch.doc)]
        if names:
            tm.container(f"{cn}__channels", f"channels of {comp.name}", names, comp,
                         KIND_CHANNELS)
        eid = f"{cn}__event_id"
        _enum_type(tm.types, "Parameter", eid + "_t", 16, [(e.id, e.name) for e in comp.events],
                   {e.id: f"{e.severity}: {e.fmt}" for e in comp.events})
        tm.param(eid, eid + "_t")
        tm.container(f"{cn}__event", f"events of {comp.name}",
                     [eid, "event_severity", "event_args"], comp, KIND_EVENT)
        if comp.name == LINK_COMPONENT:
            _ack(tm, comp)


def _ack(tm: _Tm, comp: ComponentSpec) -> None:
    _uint_type(tm.types, "Parameter", "ack_key_id_t", 16)
    _uint_type(tm.types, "Parameter", "ack_cmd_seq_t", 64)
    _enum_type(tm.types, "Parameter", "ack_status_t", 8, [(int(s), s.name) for s in AckStatus])
    names = [tm.param("ack_key_id", "ack_key_id_t"), tm.param("ack_cmd_seq", "ack_cmd_seq_t"),
             tm.param("ack_status", "ack_status_t"), *tm.field("ack_reason", "string")]
    tm.container("command_ack", "acknowledgement of one telecommand", names, comp, KIND_ACK)


TC_ARGS = [("ccsds_apid", 11), ("key_id", 16), ("auth_seq", 64), ("opcode", 16)]


def _commands(ss: ET.Element, v: VehicleSpec) -> None:
    cm = _sub(ss, "CommandMetaData")
    atypes = _sub(cm, "ArgumentTypeSet")
    mset = _sub(cm, "MetaCommandSet")
    for name, bits in TC_ARGS:
        _uint_type(atypes, "Argument", f"{name}_t", bits)
    base = _described(mset, "MetaCommand", "ccsds_tc",
                      f"CCSDS TC primary header and SDLS-style security header; the link appends "
                      f"HMAC-SHA256 truncated to {MAC_SIZE} bytes and a CRC-16/CCITT-FALSE and "
                      "sets the sequence count and packet length", abstract="true")
    al = _sub(base, "ArgumentList")
    for name, _ in TC_ARGS:
        _sub(al, "Argument", name=name, argumentTypeRef=f"{name}_t")
    el = _sub(_sub(base, "CommandContainer", name="ccsds_tc"), "EntryList")
    fixed = [("ccsds_version", "00", 3), ("ccsds_type", "01", 1), ("ccsds_sec_hdr", "01", 1)]
    for n, val, bits in fixed:
        _sub(el, "FixedValueEntry", name=n, binaryValue=val, sizeInBits=bits)
    _sub(el, "ArgumentRefEntry", argumentRef="ccsds_apid")
    _sub(el, "FixedValueEntry", name="ccsds_seq_flags", binaryValue="03", sizeInBits=2)
    _sub(el, "FixedValueEntry", name="ccsds_seq_count", binaryValue="0000", sizeInBits=14)
    _sub(el, "FixedValueEntry", name="ccsds_length", binaryValue="0000", sizeInBits=16)
    for n in ("key_id", "auth_seq", "opcode"):
        _sub(el, "ArgumentRefEntry", argumentRef=n)

    for comp in v.components:
        for cmd in comp.commands:
            mname = f"{_name(comp.name)}__{_name(cmd.name)}"
            anc = {"target": f"{comp.name}.{cmd.name}", "opcode": f"{cmd.opcode:#06x}",
                   "allowed_modes": "any" if cmd.modes is None else ",".join(cmd.modes)}
            mc = _described(mset, "MetaCommand", mname, cmd.doc, anc)
            bm = _sub(mc, "BaseMetaCommand", metaCommandRef="ccsds_tc")
            aal = _sub(bm, "ArgumentAssignmentList")
            _sub(aal, "ArgumentAssignment", argumentName="ccsds_apid", argumentValue=comp.apid)
            _sub(aal, "ArgumentAssignment", argumentName="opcode", argumentValue=cmd.opcode)
            if cmd.args:
                al = _sub(mc, "ArgumentList")
                for a in cmd.args:
                    tname = f"{mname}__{_name(a.name)}_t"
                    _arg_type(atypes, tname, a)
                    _sub(al, "Argument", name=a.name, argumentTypeRef=tname)
            cc = _sub(mc, "CommandContainer", name=mname)
            el = _sub(cc, "EntryList")
            for a in cmd.args:
                _sub(el, "ArgumentRefEntry", argumentRef=a.name)
            _sub(cc, "BaseContainer", containerRef="ccsds_tc")


def _arg_type(atypes: ET.Element, tname: str, a: ArgSpec) -> None:
    anc = {"choices": ",".join(a.choices)} if a.choices and a.type == "string" else None
    _typed(atypes, "Argument", tname, a.type, doc=a.doc, choices=a.choices, lo=a.lo, hi=a.hi,
           ancillary=anc)


def _header(ss: ET.Element) -> None:
    _sub(ss, "Header", validationStatus="Working", version="1", classification="NotClassified")


def _space_system(parent: ET.Element | None, v: VehicleSpec) -> ET.Element:
    doc = (f"{v.name}: APIDs {v.apid_base:#05x}..{v.apid_base + APID_BLOCK - 1:#05x} "
           "(base + component id)")
    if parent is None:
        ss = ET.Element("SpaceSystem", {"xmlns": NS, "name": _name(v.name)})
        _sub(ss, "LongDescription", doc)
        _header(ss)
    else:
        ss = _described(parent, "SpaceSystem", v.name, doc)
    _telemetry(ss, v)
    _commands(ss, v)
    return ss


def to_xtce(dictionary: Dictionary) -> str:
    """The XTCE document (deterministic text): one vehicle is the root SpaceSystem; several
    are children of a root "MSR"."""
    if not dictionary.vehicles:
        raise DictionaryError("the dictionary holds no vehicle")
    if len(dictionary.vehicles) == 1:
        root = _space_system(None, dictionary.vehicles[0])
    else:
        root = ET.Element("SpaceSystem", {"xmlns": NS, "name": "MSR"})
        _header(root)
        for v in dictionary.vehicles:
            _space_system(root, v)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
