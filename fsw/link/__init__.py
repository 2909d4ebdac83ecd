"""Ground link: CCSDS space packets for telemetry and telecommands, SDLS-style command
authentication, the command/telemetry/event dictionary (JSON, XTCE), telemetry logs and
the live UDP/serial link. See docs/link.md."""
from .apids import VEHICLE_APID_BASES, apid_base
from .auth import ReplayWindow, Verdict
from .dictionary import (ArgSpec, ChannelSpec, CommandSpec, ComponentSpec, Dictionary, EventSpec,
                         VehicleSpec, build_dictionary, component_spec, opcode_of, topology_spec,
                         vehicle_spec)
from .errors import (AuthError, CrcError, DecodeError, DictionaryError, EncodeError, KeyFileError,
                     LinkError, TruncatedError)
from .ingest import Ack, CommandIngest
from .linked import add_link, link_topology, linked_classes, linked_vehicle_spec
from .keys import KeyRing, load_keyring, load_keys, write_key_file, write_keyring
from .log import LogWarning, TelemetryLogWriter, iter_records, read_log
from .telecommand import Telecommand, TelecommandEncoder, decode_telecommand
from .telemetry import (AckPacket, AckStatus, ChannelPacket, EventPacket, RawPacket,
                        TelemetryDecoder, TelemetryEncoder)

__all__ = [n for n in dir() if not n.startswith("_")]
