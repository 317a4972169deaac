"""The guard against server-side request forgery: which addresses a fetch may connect to.

The pure parts (reading odd spellings of numeric hosts, classifying an address) are plain
functions; `AddressGuard` adds name resolution (off the event loop) and the operator's allow list.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import string
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Final

from bot.errors import ForbiddenAddressError, UnreachableError

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Resolves (host, port) to IP address strings; the default asks the system's getaddrinfo.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# IANA IPv4 special-purpose registry (RFC 6890 and updates) plus multicast and broadcast: every
# block that is not an ordinary public unicast destination. Kept explicit because the stdlib's
# `is_global`/`is_private` tables changed between Python 3.11 patch releases.
FORBIDDEN_V4: Final[tuple[tuple[ipaddress.IPv4Network, str], ...]] = (
    (_V4("0.0.0.0/8"), "unspecified"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "shared"),  # carrier-grade NAT, RFC 6598
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local"),  # includes the cloud metadata address
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "reserved"),  # IETF protocol assignments
    (_V4("192.0.2.0/24"), "reserved"),  # documentation
    (_V4("192.88.99.0/24"), "reserved"),  # deprecated 6to4 relay anycast
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "reserved"),  # benchmarking
    (_V4("198.51.100.0/24"), "reserved"),  # documentation
    (_V4("203.0.113.0/24"), "reserved"),  # documentation
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),  # includes 255.255.255.255 broadcast
)

# IANA IPv6 special-purpose registry. Only 2000::/3 is allocated as global unicast, so anything
# outside it is refused as well (after unwrapping the forms that embed an IPv4 address).
FORBIDDEN_V6: Final[tuple[tuple[ipaddress.IPv6Network, str], ...]] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("64:ff9b:1::/48"), "private"),  # local-use NAT64, RFC 8215
    (_V6("100::/64"), "reserved"),  # discard-only
    (_V6("2001::/23"), "reserved"),  # IETF protocol assignments, including Teredo 2001::/32
    (_V6("2001:db8::/32"), "reserved"),  # documentation
    (_V6("3fff::/20"), "reserved"),  # documentation, RFC 9637
    (_V6("5f00::/16"), "reserved"),  # SRv6 SIDs
    (_V6("fc00::/7"), "private"),  # unique local addresses
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local"),  # deprecated, still routed inside some networks
    (_V6("ff00::/8"), "multicast"),
)
GLOBAL_UNICAST_V6: Final = _V6("2000::/3")
NAT64_V6: Final = _V6("64:ff9b::/96")  # well-known NAT64 prefix, RFC 6052
SIXTOFOUR_V6: Final = _V6("2002::/16")  # 6to4, RFC 3056

_HEX_DIGITS: Final = frozenset(string.hexdigits)


def _ipv4_number(part: str) -> int | None:
    """One dot-separated part of a numeric host (decimal, 0-octal or 0x-hex), or None."""
    if not part:
        return None
    radix = 10
    if part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        part, radix = part[1:], 8
    if not part:
        return 0
    allowed = {10: string.digits, 16: string.hexdigits, 8: string.octdigits}[radix]
    if any(char not in allowed for char in part):
        return None
    return int(part, radix)


def ends_in_number(host: str) -> bool:
    """Whether the URL standard treats `host` as an IPv4 address (its last label is numeric)."""
    parts = host.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    if last and all(char in string.digits for char in last):
        return True
    return _ipv4_number(last) is not None


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Read a numeric host the way browsers and inet_aton do: `2130706433`, `0x7f.1`, `0177.0.0.1`.

    Returns None when `host` is a domain name; raises ValueError when it ends in a number but is
    not a valid address (such hosts mean different things to different resolvers).
    """
    if not ends_in_number(host):
        return None
    parts = host.split(".")
    if parts[-1] == "":
        parts.pop()
    numbers = [_ipv4_number(part) for part in parts]
    if len(numbers) > 4 or any(number is None for number in numbers):
        raise ValueError(f"not a valid IPv4 address: {host!r}")
    values = [number for number in numbers if number is not None]
    if any(value > 255 for value in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise ValueError(f"IPv4 address out of range: {host!r}")
    address = values[-1]
    for index, value in enumerate(values[:-1]):
        address += value * 256 ** (3 - index)
    return ipaddress.IPv4Address(address)


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a URL host spells literally (any IPv4 spelling, IPv6 with or without brackets).

    Returns None for a domain name; raises ValueError for a malformed numeric host.
    """
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        return ipaddress.IPv6Address(host)
    return parse_ipv4(host)


def canonical_host(host: str) -> str:
    """The host in its canonical spelling: dotted-quad IPv4, compressed IPv6, else unchanged."""
    literal = parse_ip_literal(host)
    return host if literal is None else literal.compressed


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64 or 6to4), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_V6:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in SIXTOFOUR_V6:
        return address.sixtofour
    return None


def connect_address(address: IPAddress) -> IPAddress:
    """The address to open a socket to: IPv4-mapped IPv6 addresses are IPv4 connections."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def forbidden_reason(address: IPAddress) -> str | None:
    """Why a fetch must not connect to `address` ("loopback", "private", ...), or None if public."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "link-local"
        inner = embedded_ipv4(address)
        if inner is not None:
            return forbidden_reason(inner)
        for network, reason in FORBIDDEN_V6:
            if address in network:
                return reason
        if address not in GLOBAL_UNICAST_V6:
            return "reserved"
    else:
        for network4, reason in FORBIDDEN_V4:
            if address in network4:
                return reason
    # Backstop: whatever the running Python considers non-global is refused too.
    if not address.is_global:
        return "reserved"
    return None


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The operator's allow list as networks (host bits are ignored, as in `10.1.2.3/8`)."""
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def is_allowed(address: IPAddress, allow: Sequence[IPNetwork]) -> bool:
    """Whether `address` is public, or lies in one of the networks the operator opened."""
    target = connect_address(address)
    if any(target.version == net.version and target in net for net in allow):
        return True
    return forbidden_reason(address) is None


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the system's getaddrinfo in the loop's executor (never on the loop itself)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


class AddressGuard:
    """Resolves a host once and returns only the addresses a fetch may connect to."""

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver | None = None) -> None:
        self.allow = parse_networks(allow)
        self._resolver = resolver or system_resolver

    def permitted(self, host: str, addresses: Iterable[IPAddress]) -> list[IPAddress]:
        """The connectable addresses among `addresses`; ForbiddenAddressError if there are none."""
        found = list(addresses)
        ok: list[IPAddress] = []
        for address in found:
            target = connect_address(address)
            if is_allowed(address, self.allow) and target not in ok:
                ok.append(target)
        if ok:
            return ok
        if not found:
            raise UnreachableError(f"{host} has no address", host=host)
        first = found[0]
        reason = forbidden_reason(first) or "forbidden"
        raise ForbiddenAddressError(
            f"{host} is a {reason} address ({first})", host=host, address=str(first), reason=reason
        )

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Resolve `host` (literal or name) and return the permitted addresses, best first."""
        try:
            literal = parse_ip_literal(host)
        except ValueError as exc:
            raise ForbiddenAddressError(
                f"ambiguous numeric host {host!r}", host=host, reason="malformed"
            ) from exc
        if literal is not None:
            return self.permitted(host, [literal])
        try:
            raw = await self._resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise UnreachableError(f"cannot resolve {host}: {exc}", host=host) from exc
        addresses: list[IPAddress] = []
        for text in raw:
            try:
                address = ipaddress.ip_address(text)
            except ValueError:
                logger.warning("resolver returned a non-address %r for %s", text, host)
                continue
            if address not in addresses:
                addresses.append(address)
        return self.permitted(host, addresses)
