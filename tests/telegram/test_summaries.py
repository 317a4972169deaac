"""Short versions, the Raumgespräch and their buttons, with the real bot against the fake server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.jobs.api import JobRequest, RenderPrefs
from bot.telegram.keyboards import CALLBACK_DATA_BYTES, parse_variant, variant_data
from tests.support.article_server import ArticleServer
from tests.support.audio import probe
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.telegram.conftest import USER, StartBot, audios, settle, texts_of

ArticleUrl = Callable[..., str]

EXTRACTION = Path(__file__).resolve().parents[1] / "data" / "extraction"
# A summary of about a minute; the articles below are several times longer.
SUMMARY_SECONDS = 60
LLM_MISSING = (
    "🤖 Dafür braucht der Hörclub ein Sprachmodell: "
    "Der Betreiber muss HOERCLUB_LLM_BASE_URL und HOERCLUB_LLM_MODEL setzen."
)


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    """The local fake of an OpenAI-compatible chat-completions endpoint."""
    with FakeOpenAI() as server:
        yield server


def _seconds(fake: FakeTelegram, message: SentMessage, tmp_path: Path) -> float:
    """The decoded length of a delivered audio."""
    assert message.file_id is not None
    path = tmp_path / f"{message.message_id}.mp3"
    path.write_bytes(fake.uploads[message.file_id])
    info = probe(path)
    assert info["decode_errors"] == []
    return float(info["duration"])


def _labels(message: SentMessage) -> list[str]:
    return [b["text"] for b in message.buttons]


def _job_id(message: SentMessage) -> int:
    """The job a delivered audio's buttons name."""
    wanted = parse_variant(message.buttons[0]["callback_data"])
    assert wanted is not None
    return wanted.job_id


async def _answer(fake: FakeTelegram, update: dict[str, Any]) -> dict[str, Any]:
    """The callback answer (toast) to a button press."""
    query_id = update["callback_query"]["id"]
    answer = await fake.wait_for(lambda f: f.callback_answers.get(query_id), 10)
    assert isinstance(answer, dict)
    return answer


def _talk_answer(messages: list[dict[str, Any]]) -> str:
    """A valid conversation of about three minutes (450 words at 150 a minute)."""
    lines = [
        {
            "speaker": "host",
            "line": "Willkommen im Hörclub. Heute geht es um einen Bericht aus dem "
            "Stadtanzeiger Beispielstadt über die neue Straßenbahn. Was ist geplant?",
        }
    ]
    for index in range(7):
        lines.append(
            {
                "speaker": "guest",
                "line": "Die Stadtwerke haben neue Pläne für den Ausbau der Straßenbahn "
                "vorgestellt, die ersten Bauarbeiten sollen im kommenden Frühjahr beginnen. "
                "Anwohner hatten sich seit Jahren eine bessere Anbindung der äußeren "
                "Stadtteile gewünscht, und der Stadtrat will im Herbst über die Finanzierung "
                "des Vorhabens abstimmen.",
            }
        )
        lines.append(
            {
                "speaker": "host",
                "line": f"Und was sagen die Kritiker zum Abschnitt {index + 1}?",
            }
        )
    lines.append(
        {
            "speaker": "guest",
            "line": "Sie bemängeln, dass die Kosten in den vergangenen Monaten deutlich "
            "gestiegen seien.",
        }
    )
    return json.dumps({"lines": lines}, ensure_ascii=False)


# --- callback data ----------------------------------------------------------------------------


def test_variant_buttons_fit_telegrams_64_bytes_and_refuse_malformed_data() -> None:
    biggest = 2**63 - 1  # a BIGINT job id
    for variant in ("full", "summary", "talk"):
        data = variant_data(variant, biggest)
        assert len(data.encode()) <= CALLBACK_DATA_BYTES
        wanted = parse_variant(data)
        assert wanted is not None
        assert (wanted.variant, wanted.job_id) == (variant, biggest)
    for bad in (
        "alt:x:12",
        "alt:s:",
        "alt:s:-3",
        "alt:s:0",
        "alt:s:1e3",
        "alt:s:١٢",  # Arabic-Indic digits pass str.isdigit()
        "alt:s:12:13",
        "alt:s:" + "9" * 20,
        "set:s:12",
    ):
        assert parse_variant(bad) is None, bad


def test_a_summary_job_is_its_own_job_and_keeps_its_options() -> None:
    full = RenderPrefs()
    summary = RenderPrefs(variant="summary", summary_by="llm", summary_first=True)
    assert RenderPrefs.from_dict(summary.to_dict()) == summary
    assert RenderPrefs.from_dict({"variant": "nonsense", "summary_by": 3}) == full
    request = JobRequest(USER, USER, "url", "https://example.org/a")
    assert request.options.variant == "full"


# --- /kurz and the buttons --------------------------------------------------------------------


async def test_kurz_delivers_a_short_version_of_the_target_length(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, tmp_path: Path
) -> None:
    await start_bot(HOERCLUB_SUMMARY_SECONDS=SUMMARY_SECONDS)
    url = article_url("kurz", "Ein langer Bericht über die Straßenbahn", 900, image=False)
    update = fake.send_text(USER, f"/kurz {url}")
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    seconds = _seconds(fake, audio, tmp_path)
    print("summary seconds", seconds)
    assert SUMMARY_SECONDS * 0.8 <= seconds <= SUMMARY_SECONDS * 1.2
    assert audio.caption is not None
    assert "✂️ Kurzfassung – der ganze Artikel dauert etwa" in audio.caption
    assert audio.reply_to_message_id == update["message"]["message_id"]
    # Under a summary: the whole article; no conversation without a language model.
    assert _labels(audio) == ["▶️ Ganzer Artikel"]
