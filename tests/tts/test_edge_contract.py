"""What bot.tts.edge relies on of edge-tts, and the framing the fake speaks to it.

The engine drives the public `Communicate(...).stream()`, and relies on two private parts: the
module global `edge_tts.communicate.WSS_URL` (the endpoint seam) and `Communicate.state`'s
`cumulative_audio_bytes` (advanced only on `turn.end`). pyproject.toml pins the edge-tts
releases these tests passed on; a release that changes either, or the messages it sends and
reads, fails here rather than in production.
"""

from __future__ import annotations

import inspect
import json
from xml.sax.saxutils import escape

import edge_tts
import edge_tts.communicate
from edge_tts.data_classes import TTSConfig

from bot.tts.edge import EDGE_VOICES, LIBRARY_WSS_URL
from tests.support.fake_edge import (
    KNOWN_VOICE,
    FakeEdge,
    audio_message,
    mp3_for,
    parse_ssml,
    word_boundaries,
)

TEXT = "Der Bundestag stimmte ab – mit 24 Stimmen & ohne Gegenrede."


def test_the_private_parts_we_use_still_exist() -> None:
    assert LIBRARY_WSS_URL.startswith("wss://speech.platform.bing.com/")
    assert "TrustedClientToken=" in LIBRARY_WSS_URL
    assert isinstance(edge_tts.communicate.WSS_URL, str)
    source = inspect.getsource(edge_tts.communicate.Communicate)
    # Each connection's URL is built from the module global when it opens.
    assert 'f"{WSS_URL}&ConnectionId={connect_id()}"' in source
    assert 'self.state["cumulative_audio_bytes"]' in source
    params = inspect.signature(edge_tts.Communicate.__init__).parameters
    assert {"rate", "pitch", "boundary", "connect_timeout", "receive_timeout"} <= set(params)


def test_the_ssml_the_library_writes_is_what_the_fake_reads() -> None:
    config = TTSConfig("de-AT-JonasNeural", "+25%", "+0%", "+0Hz", "WordBoundary")
    ssml = edge_tts.communicate.mkssml(config, escape(TEXT))
    assert parse_ssml(ssml) == (
        "Microsoft Server Speech Text to Speech Voice (de-AT, JonasNeural)",
        "+25%",
        "+0Hz",
        TEXT,
    )
    for voice in EDGE_VOICES:  # every voice of our catalogue is one the fake accepts
        assert KNOWN_VOICE.match(TTSConfig(voice.id, "+0%", "+0%", "+0Hz", "WordBoundary").voice)


def test_binary_audio_framing_is_the_librarys() -> None:
    data = mp3_for("Kurz.")[:300]
    message = audio_message("abc", data)
    header_length = int.from_bytes(message[:2], "big")
    headers, body = edge_tts.communicate.get_headers_and_data(message, header_length)
    assert headers[b"Path"] == b"audio"
    assert headers[b"Content-Type"] == b"audio/mpeg"
    assert body == data


async def test_the_library_talks_to_the_fake_end_to_end() -> None:
    """Handshake parameters, speech.config, SSML, audio, metadata and turn.end, unpatched."""
    default = edge_tts.communicate.WSS_URL
    with FakeEdge() as fake:
        edge_tts.communicate.WSS_URL = fake.url
        try:
            communicate = edge_tts.Communicate(
                TEXT, "de-CH-LeniNeural", rate="-10%", boundary="WordBoundary"
            )
            audio = b""
            words = []
            async for message in communicate.stream():
                if message["type"] == "audio":
                    audio += message["data"]
                else:
                    words.append((message["text"], message["offset"], message["duration"]))
        finally:
            edge_tts.communicate.WSS_URL = default
    request = fake.requests[0]
    assert set(request.query) >= {
        "TrustedClientToken", "ConnectionId", "Sec-MS-GEC", "Sec-MS-GEC-Version"
    }  # fmt: skip
    audio_config = request.config["context"]["synthesis"]["audio"]  # type: ignore[index]
    assert audio_config["outputFormat"] == "audio-24khz-48kbitrate-mono-mp3"
    assert audio_config["metadataoptions"]["wordBoundaryEnabled"] == "true"
    assert (request.text, request.rate) == (TEXT, "-10%")
    assert audio == mp3_for(TEXT, "-10%")
    expected = word_boundaries(TEXT, "-10%")
    assert words == [(b.text, b.offset, b.duration) for b in expected]
    assert communicate.state["cumulative_audio_bytes"] == len(audio)  # turn.end arrived
    json.dumps(words)  # plain values, as the engine stores them


async def test_a_cut_stream_ends_quietly_in_the_library() -> None:
    """Why the engine checks cumulative_audio_bytes: edge-tts returns a stub without error."""
    default = edge_tts.communicate.WSS_URL
    text = " ".join([TEXT] * 4)
    with FakeEdge() as fake:
        fake.close_next(1)
        edge_tts.communicate.WSS_URL = fake.url
        try:
            communicate = edge_tts.Communicate(text, "de-DE-KatjaNeural")
            messages = [m async for m in communicate.stream()]
            audio = b"".join(m["data"] for m in messages if m["type"] == "audio")
        finally:
            edge_tts.communicate.WSS_URL = default
    assert 0 < len(audio) < len(mp3_for(text))
    assert communicate.state["cumulative_audio_bytes"] == 0
