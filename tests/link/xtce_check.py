"""The official OMG XTCE 1.2 schema (shipped by LASP's space_packet_parser) and that package's
decoder, as the independent checks of `fsw.link.xtce`.

The XSD imports the W3C XML-namespace schema from the web only for the `xml:base` attribute;
this machine has no network, so the resolver answers that one import with a one-attribute
schema and lets nothing else through (no_network).
"""
from __future__ import annotations

import importlib.resources
from functools import lru_cache

import pytest

etree = pytest.importorskip("lxml.etree", reason="lxml is in the test extra")
spp = pytest.importorskip("space_packet_parser", reason="space_packet_parser is in the test extra")

XML_NS_SCHEMA = "http://www.w3.org/2001/03/xml.xsd"
XML_NS_XSD = (b'<schema xmlns="http://www.w3.org/2001/XMLSchema" '
              b'targetNamespace="http://www.w3.org/XML/1998/namespace">'
              b'<attribute name="base" type="anyURI"/></schema>')


class _XmlNamespaceOnly(etree.Resolver):
    def resolve(self, url, pubid, context):  # noqa: D102 - lxml's hook
        if url == XML_NS_SCHEMA:
            return self.resolve_string(XML_NS_XSD, context)
        return None


@lru_cache(maxsize=1)
def xtce_schema() -> "etree.XMLSchema":
    xsd = importlib.resources.files("space_packet_parser.xtce").joinpath("schemas/SpaceSystem.xsd")
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_XmlNamespaceOnly())
    root = etree.fromstring(xsd.read_bytes(), parser)
    assert root.get("targetNamespace") == "http://www.omg.org/spec/XTCE/20180204"
    return etree.XMLSchema(root)


def schema_errors(xml_text: str) -> list[str]:
    """Every schema violation of an XTCE document (empty: valid)."""
    schema = xtce_schema()
    schema.validate(etree.fromstring(xml_text.encode("utf-8")))
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def decoder(xml_path) -> "spp.xtce.definitions.XtcePacketDefinition":
    from space_packet_parser.xtce.definitions import XtcePacketDefinition
    return XtcePacketDefinition.from_xtce(xml_path, root_container_name="ccsds_tm")
