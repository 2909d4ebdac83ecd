"""XTCE 1.2 export of the dictionary (the XML that Yamcs and OpenC3 COSMOS import).

One SpaceSystem per vehicle under a root "MSR" SpaceSystem. Telemetry: an abstract
`ccsds_tm` container for the primary and secondary headers, then per component a channel
container (restricted on APID and packet kind 1), an event container (kind 2: id and
severity; the TLV arguments are described, not modelled) and, for the link component, the
ack container (kind 3). Commands: an abstract `ccsds_tc` MetaCommand for the headers; one
MetaCommand per command, with its opcode and APID assigned and its arguments typed and
ranged; allowed modes and the opcode are ancillary data. The HMAC and CRC trailer is filled
by the link (a Yamcs command postprocessor's job). Names are `component__item` because XTCE
names may not contain dots.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .apids import APID_BLOCK
from .auth import MAC_SIZE
from .dictionary import ArgSpec, ComponentSpec, Dictionary, LINK_COMPONENT, VehicleSpec
from .errors import DictionaryError
from .telemetry import AckStatus, KIND_ACK, KIND_CHANNELS, KIND_EVENT
from fsw.core.events import Severity

NS = "http://www.omg.org/spec/XTCE/20180204"
NAME_OK = re.compile(r"^[^./:\[\] ]+$")
MAX_STRING_BITS = 0xFFFF * 8


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


def _uint(e: ET.Element, bits: int, signed: bool = False) -> None:
    _sub(e, "IntegerDataEncoding", sizeInBits=bits,
         encoding="twosComplement" if signed else "unsigned")


def _string_encoding(e: ET.Element) -> None:
    enc = _sub(e, "StringDataEncoding", encoding="UTF-8")
    var = _sub(enc, "Variable", maxSizeInBits=MAX_STRING_BITS)
    _sub(var, "LeadingSize", sizeInBitsOfSizeTag=16)


def _typed(tset: ET.Element, kind: str, name: str, wtype: str, units: str = "", doc: str = "",
           choices: tuple[str, ...] | None = None, lo: float | None = None,
           hi: float | None = None, ancillary: dict[str, str] | None = None) -> None:
    """A Parameter or Argument type (kind = "Parameter" | "Argument") for a wire type."""
    if wtype == "bool":
        e = _described(tset, f"Boolean{kind}Type", name, doc, ancillary)
        _units(e, units)
        _uint(e, 8)
    elif wtype == "i64":
        e = _described(tset, f"Integer{kind}Type", name, doc, ancillary, signed="true",
                       sizeInBits=64)
        _units(e, units)
        _uint(e, 64, signed=True)
    elif wtype == "f64":
        e = _described(tset, f"Float{kind}Type", name, doc, ancillary, sizeInBits=64)
        _units(e, units)
        _sub(e, "FloatDataEncoding", sizeInBits=64, encoding="IEEE754_1985")
    elif wtype == "string":
        e = _described(tset, f"String{kind}Type", name, doc, ancillary)
        _units(e, units)
        _string_encoding(e)
        return
    elif wtype == "enum":
        e = _described(tset, f"Enumerated{kind}Type", name, doc, ancillary)
        _units(e, units)
        _uint(e, 16)
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
               items: list[tuple[int, str]]) -> None:
    e = _described(tset, f"Enumerated{kind}Type", name)
    _units(e)
    _uint(e, bits)
    el = _sub(e, "EnumerationList")
    for v, label in items:
        _sub(el, "Enumeration", value=v, label=label)


def _uint_type(tset: ET.Element, kind: str, name: str, bits: int, units: str = "") -> None:
    e = _described(tset, f"Integer{kind}Type", name, signed="false", sizeInBits=bits)
    _units(e, units)
    _uint(e, bits)


TM_HEADER = [("ccsds_version", 3), ("ccsds_type", 1), ("ccsds_sec_hdr", 1), ("ccsds_apid", 11),
             ("ccsds_seq_flags", 2), ("ccsds_seq_count", 14), ("ccsds_length", 16),
             ("time_ns", 64), ("packet_kind", 8), ("signature", 16)]


def _container(cset: ET.Element, name: str, doc: str, entries: list[str], apid: int,
               kind: int) -> None:
    c = _described(cset, "SequenceContainer", name, doc)
    el = _sub(c, "EntryList")
    for p in entries:
        _sub(el, "ParameterRefEntry", parameterRef=p)
    base = _sub(c, "BaseContainer", containerRef="ccsds_tm")
    cl = _sub(_sub(base, "RestrictionCriteria"), "ComparisonList")
    _sub(cl, "Comparison", parameterRef="ccsds_apid", value=apid)
    _sub(cl, "Comparison", parameterRef="packet_kind", value=kind)


def _telemetry(ss: ET.Element, v: VehicleSpec) -> None:
    tm = _sub(ss, "TelemetryMetaData")
    ptypes = _sub(tm, "ParameterTypeSet")
    params = _sub(tm, "ParameterSet")
    cset = _sub(tm, "ContainerSet")

    for name, bits in TM_HEADER:
        if name == "packet_kind":
            _enum_type(ptypes, "Parameter", "packet_kind_t", 8,
                       [(KIND_CHANNELS, "CHANNELS"), (KIND_EVENT, "EVENT"), (KIND_ACK, "ACK")])
        else:
            _uint_type(ptypes, "Parameter", f"{name}_t", bits, "ns" if name == "time_ns" else "")
        _sub(params, "Parameter", name=name, parameterTypeRef=f"{name}_t")
    _enum_type(ptypes, "Parameter", "severity_t", 8, [(int(s), s.name) for s in Severity])
    _sub(params, "Parameter", name="event_severity", parameterTypeRef="severity_t")
    head = _described(cset, "SequenceContainer", "ccsds_tm",
                      "CCSDS primary header, spacecraft time (ns), packet kind, component "
                      "signature; every packet ends with a CRC-16/CCITT-FALSE", abstract="true")
    el = _sub(head, "EntryList")
    for name, _ in TM_HEADER:
        _sub(el, "ParameterRefEntry", parameterRef=name)

    for comp in v.components:
        cn = _name(comp.name)
        names = []
        for ch in comp.channels:
            pname = f"{cn}__{_name(ch.name)}"
            _typed(ptypes, "Parameter", pname + "_t", ch.type, ch.units)
            p = _sub(params, "Parameter", name=pname, parameterTypeRef=pname + "_t")
            if ch.doc:
                _sub(p, "LongDescription", ch.doc)
            names.append(pname)
        if names:
            _container(cset, f"{cn}__channels", f"channels of {comp.name}, signature "
                       f"{comp.signature:#06x}", names, comp.apid, KIND_CHANNELS)
        eid = f"{cn}__event_id"
        ev_type = _described(ptypes, "EnumeratedParameterType", eid + "_t")
        _units(ev_type)
        _uint(ev_type, 16)
        el = _sub(ev_type, "EnumerationList")
        for e in comp.events:
            _sub(el, "Enumeration", value=e.id, label=e.name,
                 shortDescription=f"{e.severity}: {e.fmt}"[:255])
        _sub(params, "Parameter", name=eid, parameterTypeRef=eid + "_t")
        _container(cset, f"{cn}__event", "event id and severity, then u8 argument count and "
                   "per argument: u8 name length, name, u8 tag, value (see docs/link.md)",
                   [eid, "event_severity"], comp.apid, KIND_EVENT)
        if comp.name == LINK_COMPONENT:
            _ack(ptypes, params, cset, comp)


def _ack(ptypes: ET.Element, params: ET.Element, cset: ET.Element, comp: ComponentSpec) -> None:
    _uint_type(ptypes, "Parameter", "ack_key_id_t", 16)
    _uint_type(ptypes, "Parameter", "ack_cmd_seq_t", 64)
    _enum_type(ptypes, "Parameter", "ack_status_t", 8, [(int(s), s.name) for s in AckStatus])
    _typed(ptypes, "Parameter", "ack_reason_t", "string")
    names = ["ack_key_id", "ack_cmd_seq", "ack_status", "ack_reason"]
    for n in names:
        _sub(params, "Parameter", name=n, parameterTypeRef=n + "_t")
    _container(cset, "command_ack", "acknowledgement of one telecommand", names, comp.apid, KIND_ACK)


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


def to_xtce(dictionary: Dictionary) -> str:
    """The XTCE document (deterministic text)."""
    root = ET.Element("SpaceSystem", {"xmlns": NS, "name": "MSR"})
    _sub(root, "Header", validationStatus="Working", version="1",
         classification="NotClassified")
    for v in dictionary.vehicles:
        ss = _described(root, "SpaceSystem", v.name,
                        f"{v.name}: APIDs {v.apid_base:#05x}..{v.apid_base + APID_BLOCK - 1:#05x} "
                        "(base + component id)")
        _telemetry(ss, v)
        _commands(ss, v)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
