"""inet and cidr <-> :mod:`ipaddress` objects.

``inet`` loads as an address (``IPv4Address``/``IPv6Address``) when it has no
prefix (or the full one) and as an interface (``IPv4Interface``...) otherwise;
``cidr`` loads as a network. Addresses and interfaces dump as ``inet``,
networks as ``cidr``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..errors import DataError
from . import oids
from .adapt import Dumper, Format, Loader, TypesRegistry

__all__ = [
    "CidrBinaryLoader",
    "CidrLoader",
    "InetBinaryDumper",
    "InetBinaryLoader",
    "InetDumper",
    "InetLoader",
    "NetworkBinaryDumper",
    "NetworkDumper",
]

# Address families as the server writes them in binary (not the OS values).
_PGSQL_AF_INET = 2
_PGSQL_AF_INET6 = 3

_ip_address = ipaddress.ip_address
_ip_interface = ipaddress.ip_interface
_ip_network = ipaddress.ip_network


class InetLoader(Loader):
    """inet in text: ``1.2.3.4`` or ``1.2.3.4/24``."""

    format = Format.TEXT

    def load(self, data: bytes) -> Any:
        """Parse an address, or an interface when a prefix is given."""
        try:
            s = data.decode()
            if "/" in s:
                return _ip_interface(s)
            return _ip_address(s)
        except ValueError as ex:  # UnicodeDecodeError too
            raise DataError(f"can't parse inet {bytes(data[:60])!r}: {ex}") from None


class InetBinaryLoader(Loader):
    """inet in binary: family, prefix length, is_cidr, length, address."""

    format = Format.BINARY

    def load(self, data: bytes) -> Any:
        """Build an address (full prefix) or an interface."""
        bits = data[1]
        packed = data[4:]
        if bits == len(packed) * 8:
            return _ip_address(packed)
        return _ip_interface((packed, bits))


class CidrLoader(Loader):
    """cidr in text -> network."""

    format = Format.TEXT

    def load(self, data: bytes) -> Any:
        """Parse a network."""
        try:
            return _ip_network(data.decode())
        except ValueError as ex:  # UnicodeDecodeError too
            raise DataError(f"can't parse cidr {bytes(data[:60])!r}: {ex}") from None


class CidrBinaryLoader(Loader):
    """cidr in binary -> network."""

    format = Format.BINARY

    def load(self, data: bytes) -> Any:
        """Build a network."""
        return _ip_network((data[4:], data[1]))


class InetDumper(Dumper):
    """Address or interface as inet text."""

    format = Format.TEXT
    oid = oids.INET_OID

    def dump(self, obj: Any) -> bytes:
        """Write the usual notation."""
        return str(obj).encode()


class NetworkDumper(Dumper):
    """Network as cidr text."""

    format = Format.TEXT
    oid = oids.CIDR_OID

    def dump(self, obj: Any) -> bytes:
        """Write the usual notation."""
        return str(obj).encode()


def _dump_binary(packed: bytes, bits: int, is_cidr: int) -> bytes:
    family = _PGSQL_AF_INET if len(packed) == 4 else _PGSQL_AF_INET6
    return bytes((family, bits, is_cidr, len(packed))) + packed


class InetBinaryDumper(Dumper):
    """Address or interface as inet binary."""

    format = Format.BINARY
    oid = oids.INET_OID

    def dump(self, obj: Any) -> bytes:
        """Write family, prefix, 0, length, address."""
        if isinstance(obj, (ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
            return _dump_binary(obj.packed, obj.network.prefixlen, 0)
        return _dump_binary(obj.packed, obj.max_prefixlen, 0)


class NetworkBinaryDumper(Dumper):
    """Network as cidr binary."""

    format = Format.BINARY
    oid = oids.CIDR_OID

    def dump(self, obj: Any) -> bytes:
        """Write family, prefix, 1, length, network address."""
        return _dump_binary(obj.network_address.packed, obj.prefixlen, 1)


def register_default_adapters(registry: TypesRegistry) -> None:
    """Register the network adapters on `registry` (text preferred: same cost, clearer)."""
    registry.register_loader(oids.INET_OID, InetBinaryLoader)
    registry.register_loader(oids.INET_OID, InetLoader)
    registry.register_loader(oids.CIDR_OID, CidrBinaryLoader)
    registry.register_loader(oids.CIDR_OID, CidrLoader)
    for cls in (
        ipaddress.IPv4Address,
        ipaddress.IPv6Address,
        ipaddress.IPv4Interface,
        ipaddress.IPv6Interface,
    ):
        registry.register_dumper(cls, InetBinaryDumper)
        registry.register_dumper(cls, InetDumper)
    for net in (ipaddress.IPv4Network, ipaddress.IPv6Network):
        registry.register_dumper(net, NetworkBinaryDumper)
        registry.register_dumper(net, NetworkDumper)
