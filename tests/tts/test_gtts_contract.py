"""The parts of gTTS that are not its public API and that bot.tts.gtts relies on.

The engine builds its requests with gTTS's private `_tokenize` and `_package_rpc` and reads the
answer with gTTS's own pattern; pyproject.toml pins the gTTS releases these tests passed on.
A new gTTS that changes them fails here, not in production.
"""

from __future__ import annotations

import inspect

import gtts.tts
from gtts import gTTS

from bot.tts.gtts import _AUDIO_RE, _ChunkTTS, _extract_audio
from tests.support.fake_gtts import answer_body, mp3_for, parse_freq

TEXT = "Am 24. November stimmte der Bundestag ab. Danach ging es um die Rente."


def test_the_private_members_we_call_still_exist() -> None:
    assert callable(gTTS._tokenize)
    assert callable(gTTS._package_rpc)
    assert isinstance(gTTS.GOOGLE_TTS_HEADERS, dict)
    assert gTTS.GOOGLE_TTS_RPC == "jQ1olc"
    params = inspect.signature(gTTS.__init__).parameters
    assert {"lang", "lang_check", "pre_processor_funcs", "tokenizer_func"} <= set(params)


def test_our_chunk_goes_out_whole_in_the_format_the_endpoint_reads() -> None:
    requests = _ChunkTTS(TEXT, "de", "http://127.0.0.1:9/batchexecute")._prepare_requests()
    assert len(requests) == 1  # no tokenizer, no pre-processor: the sentence period stays
    assert requests[0].url == "http://127.0.0.1:9/batchexecute"
    body = requests[0].body
    assert isinstance(body, str)
    assert parse_freq(body.encode()) == (TEXT, "de")


def test_the_answer_pattern_is_gttss_own() -> None:
    assert _AUDIO_RE.pattern in inspect.getsource(gtts.tts)
    audio = mp3_for(TEXT)
    assert _extract_audio(answer_body(audio).decode()) == audio
