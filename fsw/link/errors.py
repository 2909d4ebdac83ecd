"""Declared error types of the ground link: bad bytes and bad files raise only these."""
from __future__ import annotations


class LinkError(Exception):
    """Base of every error the link layer raises on outside input."""


class DecodeError(LinkError, ValueError):
    """Bytes that are not a valid packet (wrong header, wrong length, unknown APID, ...)."""


class TruncatedError(DecodeError):
    """Fewer bytes than the packet header (or the data inside) announces."""


class CrcError(DecodeError):
    """The CRC-16/CCITT-FALSE error control field does not match the packet."""


class AuthError(DecodeError):
    """A telecommand whose key id is unknown or whose MAC does not verify."""


class EncodeError(LinkError, ValueError):
    """A value that cannot be put on the wire as declared (wrong type, out of range)."""


class DictionaryError(LinkError, ValueError):
    """A dictionary that cannot be built or read (unsupported type, opcode clash, bad JSON)."""


class KeyFileError(LinkError):
    """A missing or malformed key file; the message names the file and the field."""
