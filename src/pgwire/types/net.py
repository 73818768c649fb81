"""inet and cidr <-> :mod:`ipaddress` objects.

``inet`` loads as an address (``IPv4Address``/``IPv6Address``) when it has no
prefix (or the full one) and as an interface (``IPv4Interface``...) otherwise;
``cidr`` loads as a network. Addresses and interfaces dump as ``inet``,
networks as ``cidr``.

:mod:`ipaddress` is imported by the first inet or cidr loader, not by
``import pgwire``; the dumpers are registered by the classes' names, which
the registry matches once the classes are in use.
"""

from __future__ import annotations

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

#: The classes whose objects dump as inet, and those dumping as cidr.
_INET_CLASSES = (
    "ipaddress.IPv4Address",
    "ipaddress.IPv6Address",
    "ipaddress.IPv4Interface",
    "ipaddress.IPv6Interface",
)
_CIDR_CLASSES = ("ipaddress.IPv4Network", "ipaddress.IPv6Network")


class _NetLoader(Loader):
    """What the network loaders share: the constructors of :mod:`ipaddress`."""

    def __init__(self, oid: int, context: Any) -> None:
        super().__init__(oid, context)
        import ipaddress

        self._address = ipaddress.ip_address
        self._interface = ipaddress.ip_interface
        self._network = ipaddress.ip_network


class InetLoader(_NetLoader):
    """inet in text: ``1.2.3.4`` or ``1.2.3.4/24``."""

    format = Format.TEXT

    def load(self, data: bytes) -> Any:
        """Parse an address, or an interface when a prefix is given."""
        try:
            s = data.decode()
            if "/" in s:
                return self._interface(s)
            return self._address(s)
        except ValueError as ex:  # UnicodeDecodeError too
            raise DataError(f"can't parse inet {bytes(data[:60])!r}: {ex}") from None


class InetBinaryLoader(_NetLoader):
    """inet in binary: family, prefix length, is_cidr, length, address."""

    format = Format.BINARY

    def load(self, data: bytes) -> Any:
        """Build an address (full prefix) or an interface."""
        bits = data[1]
        packed = data[4:]
        if bits == len(packed) * 8:
            return self._address(packed)
        return self._interface((packed, bits))


class CidrLoader(_NetLoader):
    """cidr in text -> network."""

    format = Format.TEXT

    def load(self, data: bytes) -> Any:
        """Parse a network."""
        try:
            return self._network(data.decode())
        except ValueError as ex:  # UnicodeDecodeError too
            raise DataError(f"can't parse cidr {bytes(data[:60])!r}: {ex}") from None


class CidrBinaryLoader(_NetLoader):
    """cidr in binary -> network."""

    format = Format.BINARY

    def load(self, data: bytes) -> Any:
        """Build a network."""
        return self._network((data[4:], data[1]))


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

    def __init__(self, cls: type, context: Any = None) -> None:
        super().__init__(cls, context)
        import ipaddress

        self._interfaces = (ipaddress.IPv4Interface, ipaddress.IPv6Interface)

    def dump(self, obj: Any) -> bytes:
        """Write family, prefix, 0, length, address."""
        if isinstance(obj, self._interfaces):
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
    for name in _INET_CLASSES:
        registry.register_dumper(name, InetBinaryDumper)
        registry.register_dumper(name, InetDumper)
    for name in _CIDR_CLASSES:
        registry.register_dumper(name, NetworkBinaryDumper)
        registry.register_dumper(name, NetworkDumper)
