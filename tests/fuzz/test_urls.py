"""Fuzzing URL handling and the SSRF guard: no generated link ever reaches an inside address.

Links are generated to forbidden addresses in every spelling a parser might read differently
(decimal, octal and hex parts, short forms, IPv4-mapped, NAT64 and 6to4 IPv6, zone ids,
full-width digits, percent escapes, user info, odd schemes and ports) and to names a hostile
resolver points inside. Each goes through the real fetcher with the operator's allow list
empty (loopback forbidden, as in production). Every connect of the process is recorded and
refused by the test itself (the `socket.connect` audit event), so even a guard that failed
could reach nothing; the property is that not one connect is attempted.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.config import Settings, load_settings
from bot.errors import HoerclubError
from bot.pipeline.fetch import Fetcher, parse_source_url
from bot.pipeline.netguard import (
    FORBIDDEN_V4,
    FORBIDDEN_V6,
    AddressGuard,
    forbidden_reason,
    parse_ip_literal,
)
from tests.fuzz.profile import fuzz
from tests.security.origin import DnsTable
from tests.support.connections import watch_connections

KIND = "fuzz: URLs and the SSRF guard"


@st.composite
def forbidden_v4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    """An address from one of the forbidden IPv4 blocks."""
    network, _ = draw(st.sampled_from(FORBIDDEN_V4))
    return network[draw(st.integers(0, network.num_addresses - 1))]


@st.composite
def forbidden_v6(draw: st.DrawFn) -> ipaddress.IPv6Address:
    """An address from a forbidden IPv6 block, or one that embeds a forbidden IPv4 one."""
    inner = int(draw(forbidden_v4()))
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return ipaddress.IPv6Address((0xFFFF << 32) | inner)  # ::ffff:a.b.c.d
    if choice == 1:
        return ipaddress.IPv6Address((0x64FF9B << 96) | inner)  # 64:ff9b::a.b.c.d
    if choice == 2:
        return ipaddress.IPv6Address((0x2002 << 112) | (inner << 80))  # 6to4
    network, _ = draw(st.sampled_from(FORBIDDEN_V6))
    return network[draw(st.integers(0, min(network.num_addresses, 2**64) - 1))]


def _part(value: int, style: str) -> str:
    if style == "hex":
        return hex(value)
    if style == "HEX":
        return "0X" + format(value, "X")
    if style == "oct":
        return "0" + format(value, "o")
    if style == "zeros":  # a leading zero means octal, however many there are
        return "000" + format(value, "o")
    return str(value)


@st.composite
def v4_spelling(draw: st.DrawFn) -> str:
    """A forbidden IPv4 address spelled as inet_aton, browsers or the URL standard read it."""
    value = int(draw(forbidden_v4()))
    parts = draw(st.integers(1, 4))
    style = st.sampled_from(["dec", "dec", "hex", "HEX", "oct", "zeros"])
    octets = [(value >> s) & 0xFF for s in (24, 16, 8, 0)]
    numbers = [*octets[: parts - 1], value & ((1 << (8 * (5 - parts))) - 1)]
    host = ".".join(_part(n, draw(style)) for n in numbers)
    if draw(st.booleans()):
        host += "."
    if draw(st.integers(0, 5)) == 0:  # full-width digits, which IDNA maps to ASCII
        host = host.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    return host


@st.composite
def v6_spelling(draw: st.DrawFn) -> str:
    """A bracketed forbidden IPv6 address: compressed, exploded, mixed, with a zone, in caps."""
    address = draw(forbidden_v6())
    text = draw(st.sampled_from([address.compressed, address.exploded]))
    if address.ipv4_mapped is not None and draw(st.booleans()):
        text = f"::ffff:{address.ipv4_mapped}"
    if draw(st.booleans()):
        text = text.upper()
    if address.is_link_local and draw(st.booleans()):
        text += "%25eth0"
    return f"[{text}]"


names = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z0-9]{1,10}){0,2}\.test", fullmatch=True)


@st.composite
def hostile_urls(draw: st.DrawFn) -> tuple[str, dict[str, list[str]], bool]:
    """A link to somewhere inside, and what the hostile resolver answers for its names.

    The flag says whether the host surely points inside. A garbage host ("1.2", say) may
    spell a public address: the test blocks that connect too, but only a connect to an
    inside address counts against the guard.
    """
    dns: dict[str, list[str]] = {}
    kind = draw(st.sampled_from(["v4", "v6", "name", "name", "garbage"]))
    if kind == "v4":
        host = draw(v4_spelling())
    elif kind == "v6":
        host = draw(v6_spelling())
    elif kind == "name":
        host = draw(names)
        answers = draw(st.lists(st.one_of(forbidden_v4(), forbidden_v6()), min_size=1, max_size=4))
        dns[host] = [str(a) for a in answers]
    else:
        host = draw(st.text(min_size=1, max_size=30))
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "hTtPs"]))
    userinfo = draw(st.sampled_from(["", "", "nutzer:geheim@", "artikel.test@", "a@b@"]))
    port = draw(st.sampled_from(["", "", ":80", ":8080", ":0", ":65536", ":99999", ":-1"]))
    path = draw(st.sampled_from(["", "/", "/artikel?id=1", "/%2e%2e/", "#frag", "\\@x.test/"]))
    if draw(st.integers(0, 9)) == 0:
        host = "".join(f"%{ord(c):02x}" if c.isdigit() else c for c in host)
    return f"{scheme}://{userinfo}{host}{port}{path}", dns, kind != "garbage"


@dataclass
class Rig:
    """One fetcher (allow list empty) on one event loop for a whole fuzz run."""

    runner: asyncio.Runner
    fetcher: Fetcher
    dns: DnsTable


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    """The fetcher is built once: its TLS context alone costs more than a refused fetch."""
    settings = load_settings(HOERCLUB_FETCH_ALLOW_NETWORKS="", HOERCLUB_FETCH_TIMEOUT=5)
    assert settings.fetch_allow_networks == []
    dns = DnsTable()
    with asyncio.Runner() as runner:
        fetcher = runner.run(_fetcher(settings, dns))
        yield Rig(runner, fetcher, dns)
        runner.run(fetcher.aclose())


async def _fetcher(settings: Settings, dns: DnsTable) -> Fetcher:
    return Fetcher(settings, resolver=dns.resolve)


@pytest.mark.reliability(KIND, sees="🚫 a refusal; no connection to any inside address")
@fuzz(300)
@given(hostile_urls())
@example(("http://0x7f.1/", {}, True))
@example(("http://１２７.０.０.１/", {}, True))
@example(("http://[::ffff:7f00:1]/", {}, True))
@example(("http://[0:0:0:0:0:ffff:127.0.0.1]/", {}, True))
@example(("http://[fe80::1%25lo]/", {}, True))
@example(("http://rebind.test/", {"rebind.test": ["10.0.0.1", "::1"]}, True))
@example(("http://%31%32%37.0.0.1/", {}, True))
@example(("http://artikel.test@127.0.0.1:8080/", {}, True))
def test_no_generated_link_to_an_inside_address_is_connected_to(
    rig: Rig, case: tuple[str, dict[str, list[str]], bool]
) -> None:
    url, answers, inside = case
    rig.dns.names = dict(answers.items())

    async def fetch() -> None:
        with pytest.raises(HoerclubError):
            await rig.fetcher.fetch(url)

    with watch_connections(block=True) as connects:
        rig.runner.run(fetch())
    assert connects.forbidden() == [], url
    if inside:
        assert connects.seen == [], url  # an inside address or name: not even an attempt


@pytest.mark.reliability(KIND, sees="every spelling of an inside address is refused")
@fuzz(300)
@given(st.one_of(v4_spelling(), v6_spelling()))
def test_the_guard_reads_every_spelling_as_the_forbidden_address(host: str) -> None:
    """Whatever the spelling, the guard's reading is forbidden (or it refuses to read it)."""
    try:
        literal = parse_ip_literal(host.replace("%25", "%"))
    except ValueError:
        return  # ambiguous: refused as "malformed" before any lookup
    if literal is None:
        # Full-width digits are a name to the guard; the URL parser maps them to ASCII first.
        try:
            parsed = parse_source_url(f"http://{host}/")
        except HoerclubError:
            return  # refused as a link
        literal = parse_ip_literal(parsed.host)
    assert literal is not None
    assert forbidden_reason(literal) is not None
    with pytest.raises(HoerclubError):
        asyncio.run(AddressGuard().resolve(str(literal), 80))


@pytest.mark.reliability(KIND, sees="any text as a link: a refusal, never a crash")
@fuzz(300)
@given(st.text(max_size=80), st.sampled_from(["", "http://", "https://", "http://[", "//"]))
def test_any_text_as_a_link_is_parsed_or_refused(text: str, prefix: str) -> None:
    try:
        url = parse_source_url(prefix + text)
    except HoerclubError:
        return
    assert url.scheme in ("http", "https")
    assert url.host
