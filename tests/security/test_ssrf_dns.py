"""The SSRF guard with loopback forbidden: names that resolve inside, IPv6 spellings, redirects.

Unlike the rest of the suite, these tests do NOT open 127.0.0.0/8: the allow list names only
the origin's own address (ORIGIN_HOST), so 127.0.0.1 and ::1 are as forbidden as in production.
Every case counts the connects the process made to a forbidden address (the `socket.connect`
audit event) and the connections that arrived at the traps listening there: both must be 0.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from bot.config import load_settings
from bot.errors import (
    BadSchemeError,
    ForbiddenAddressError,
    SourceError,
    TooManyRedirectsError,
)
from bot.locales import translate
from bot.pipeline.fetch import MAX_REDIRECTS, Fetcher
from tests.security.origin import (
    ORIGIN_ALLOW,
    ORIGIN_HOST,
    Answer,
    DnsTable,
    Origin,
    Trap,
    origin_with_traps,
)
from tests.support.connections import ConnectLog, watch_connections

SEES_REFUSAL = "🚫 Diese Adresse lese ich nicht (no connection made)"


@dataclass
class Lab:
    """The origin, its traps, the DNS table, a fetcher that may reach only the origin."""

    origin: Origin
    trap: Trap
    dns: DnsTable
    fetcher: Fetcher
    connects: ConnectLog

    def url(self, host: str, path: str = "/") -> str:
        """A URL on the origin's port with any host spelling."""
        return f"http://{host}:{self.origin.port}{path}"

    def assert_nothing_forbidden(self) -> None:
        """No connect to a forbidden address, none arrived at a trap."""
        assert self.connects.forbidden([ORIGIN_ALLOW]) == []
        assert self.trap.arrived == []


@pytest.fixture
def served() -> Iterator[tuple[Origin, Trap]]:
    """The origin and its traps."""
    with origin_with_traps() as pair:
        yield pair


@pytest.fixture
async def lab(served: tuple[Origin, Trap]) -> AsyncIterator[Lab]:
    """A fetcher whose allow list is the origin alone, with the DNS table as its resolver."""
    origin, trap = served
    settings = load_settings(HOERCLUB_FETCH_ALLOW_NETWORKS=ORIGIN_ALLOW, HOERCLUB_FETCH_TIMEOUT=5)
    assert settings.fetch_allow_networks == [ORIGIN_ALLOW]  # loopback is NOT opened here
    dns = DnsTable({"artikel.test": [ORIGIN_HOST]})
    fetcher = Fetcher(settings, resolver=dns.resolve)
    with watch_connections() as connects:
        yield Lab(origin, trap, dns, fetcher, connects)
    await fetcher.aclose()


@pytest.mark.reliability("security: SSRF via DNS", sees="the article from the allowed server")
async def test_the_origin_is_reachable_and_every_connect_is_seen(lab: Lab) -> None:
    """The control case: the watcher sees the one connect, to the allowed address."""
    page = await lab.fetcher.fetch(lab.url("artikel.test"))
    assert page.status == 200
    assert lab.origin.requests == [("/", f"artikel.test:{lab.origin.port}")]
    assert (ORIGIN_HOST, lab.origin.port) in lab.connects.seen
    lab.assert_nothing_forbidden()


# A name may resolve anywhere; each of these points inside.
INSIDE = {
    "loopback": ["127.0.0.1"],
    "loopback-other": ["127.0.0.2"],
    "loopback-v6": ["::1"],
    "private-10": ["10.1.2.3"],
    "private-172": ["172.16.0.1"],
    "private-192": ["192.168.178.1"],
    "cgnat": ["100.64.0.1"],
    "metadata": ["169.254.169.254"],
    "unspecified": ["0.0.0.0"],
    "ula-fc00": ["fc00::1"],
    "ula-fd": ["fd12:3456:789a::1"],
    "link-local-v6": ["fe80::1"],
    "link-local-scoped": ["fe80::1%1"],
    "mapped-loopback": ["::ffff:127.0.0.1"],
    "mapped-private": ["::ffff:10.0.0.1"],
    "nat64-loopback": ["64:ff9b::7f00:1"],
    "6to4-loopback": ["2002:7f00:1::1"],
    "site-local": ["fec0::1"],
    "multicast": ["224.0.0.1"],
    "all-inside": ["10.0.0.1", "127.0.0.1", "::1", "fe80::2"],
}


@pytest.mark.reliability("security: SSRF via DNS", sees=SEES_REFUSAL)
@pytest.mark.parametrize("case", sorted(INSIDE))
async def test_a_name_resolving_inside_is_never_connected_to(lab: Lab, case: str) -> None:
    name = f"{case}.test"
    lab.dns.names[name] = INSIDE[case]
    with pytest.raises(ForbiddenAddressError) as caught:
        await lab.fetcher.fetch(lab.url(name))
    assert translate(caught.value.key, "de").startswith("🚫 Diese Adresse lese ich nicht")
    assert lab.dns.queries == [name]
    assert lab.origin.requests == []
    lab.assert_nothing_forbidden()


@pytest.mark.reliability("security: SSRF via DNS", sees="the article, from the public address")
async def test_of_mixed_answers_only_the_permitted_address_is_connected_to(lab: Lab) -> None:
    lab.dns.names["gemischt.test"] = ["127.0.0.1", "::1", "10.0.0.1", ORIGIN_HOST, "fe80::1"]
    page = await lab.fetcher.fetch(lab.url("gemischt.test"))
    assert page.status == 200
    assert [host for host, _ in lab.connects.seen] == [ORIGIN_HOST]
    lab.assert_nothing_forbidden()


@pytest.mark.reliability("security: SSRF via DNS", sees=SEES_REFUSAL)
async def test_rebinding_between_redirect_hops_is_caught_at_the_second_hop(lab: Lab) -> None:
    # First answer public, every later one inside: each hop resolves again and is checked.
    lab.dns.names["wechsel.test"] = [[ORIGIN_HOST], ["127.0.0.1"]]
    lab.origin.redirect("/", lab.url("wechsel.test", "/weiter"))
    with pytest.raises(ForbiddenAddressError):
        await lab.fetcher.fetch(lab.url("wechsel.test"))
    assert lab.dns.queries == ["wechsel.test", "wechsel.test"]
    assert lab.origin.paths == ["/"]
    lab.assert_nothing_forbidden()


# IPv6 spellings of forbidden addresses, literally in the link.
V6_LITERALS = [
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:127.0.0.1]",
    "[::ffff:127.0.0.1]",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[::127.0.0.1]",  # IPv4-compatible (deprecated) form
    "[64:ff9b::127.0.0.1]",
    "[2002:7f00:0001::]",
    "[::ffff:a00:1]",
    "[fe80::1%25lo]",
    "[fc00::]",
    "[::]",
]


@pytest.mark.reliability("security: SSRF IPv6 forms", sees=SEES_REFUSAL)
@pytest.mark.parametrize("host", V6_LITERALS)
async def test_ipv6_spellings_of_inside_addresses_are_refused(lab: Lab, host: str) -> None:
    with pytest.raises(SourceError) as caught:
        await lab.fetcher.fetch(lab.url(host))
    assert isinstance(caught.value, ForbiddenAddressError | BadSchemeError)
    assert lab.dns.queries == []  # a literal is never looked up
    lab.assert_nothing_forbidden()


# Where a public page may redirect to: every one must end the fetch at this hop.
REDIRECT_TARGETS = {
    "file": ("file:///etc/passwd", BadSchemeError),
    "file-host": ("file://localhost/etc/passwd", BadSchemeError),
    "gopher": ("gopher://127.0.0.1:{port}/_GET%20/", BadSchemeError),
    "data": ("data:text/html,<p>Hallo</p>", BadSchemeError),
    "ftp": ("ftp://10.0.0.1/datei", BadSchemeError),
    "dict": ("dict://127.0.0.1:{port}/info", BadSchemeError),
    "javascript": ("javascript:alert(1)", BadSchemeError),
    "loopback": ("http://127.0.0.1:{port}/", ForbiddenAddressError),
    "decimal": ("http://2130706433:{port}/", ForbiddenAddressError),
    "octal": ("http://0177.0.0.1:{port}/", ForbiddenAddressError),
    "mapped": ("http://[::ffff:7f00:1]:{port}/", ForbiddenAddressError),
    "v6-loopback": ("http://[::1]:{port}/", ForbiddenAddressError),
    "scheme-relative": ("//127.0.0.1:{port}/", ForbiddenAddressError),
    "name-inside": ("http://intern.test:{port}/", ForbiddenAddressError),
    "name-metadata": ("http://metadaten.test/latest/meta-data/", ForbiddenAddressError),
    "userinfo-trick": ("http://artikel.test@127.0.0.1:{port}/", ForbiddenAddressError),
}


@pytest.mark.reliability("security: SSRF redirects", sees="a refusal; nothing fetched inside")
@pytest.mark.parametrize("case", sorted(REDIRECT_TARGETS))
async def test_a_redirect_inside_or_to_another_scheme_ends_the_fetch(lab: Lab, case: str) -> None:
    target, error = REDIRECT_TARGETS[case]
    lab.dns.names["intern.test"] = ["10.20.30.40"]
    lab.dns.names["metadaten.test"] = ["169.254.169.254"]
    lab.origin.redirect("/", target.format(port=lab.origin.port))
    with pytest.raises(error):
        await lab.fetcher.fetch(lab.url("artikel.test"))
    assert lab.origin.paths == ["/"]
    lab.assert_nothing_forbidden()


@pytest.mark.reliability("security: SSRF redirects", sees="🔁 leitet mehr als 5-mal weiter")
async def test_a_30_hop_chain_stops_at_the_limit_with_its_message(lab: Lab) -> None:
    def hop(path: str) -> Answer | None:
        if not path.startswith("/hop/"):
            return None
        n = int(path.rsplit("/", 1)[1])
        if n >= 30:
            return Answer()
        return Answer(302, {"Location": f"/hop/{n + 1}"}, b"")

    lab.origin.dynamic = hop
    with pytest.raises(TooManyRedirectsError) as caught:
        await lab.fetcher.fetch(lab.url("artikel.test", "/hop/1"))
    # The first request plus MAX_REDIRECTS hops, not one more.
    assert lab.origin.paths == [f"/hop/{n}" for n in range(1, MAX_REDIRECTS + 2)]
    message = translate(caught.value.key, "de", **caught.value.params)
    assert message.startswith(f"🔁 Dieser Link leitet mehr als {MAX_REDIRECTS}-mal weiter")
    assert "{" not in translate(caught.value.key, "en", **caught.value.params)
    lab.assert_nothing_forbidden()


@pytest.mark.reliability("security: SSRF redirects", sees="the article after 5 redirects")
async def test_a_chain_of_exactly_the_limit_is_followed(lab: Lab) -> None:
    for n in range(1, MAX_REDIRECTS + 1):
        lab.origin.redirect(f"/r/{n}", f"/r/{n + 1}")
    lab.origin.routes[f"/r/{MAX_REDIRECTS + 1}"] = Answer()
    page = await lab.fetcher.fetch(lab.url("artikel.test", "/r/1"))
    assert page.status == 200
    assert len(page.redirects) == MAX_REDIRECTS
    lab.assert_nothing_forbidden()
