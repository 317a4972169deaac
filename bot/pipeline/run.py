"""The pipeline as one service: load a source into an Article, render an Article into audio."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

from bot.config import Settings
from bot.errors import (
    ArticleTooLongError,
    EngineBusyError,
    LanguageModelMissingError,
    SourceError,
    SynthesisError,
    UnsupportedLanguageError,
)
from bot.models import (
    Article,
    AudioResult,
    Chunk,
    Clip,
    Script,
    Segment,
)
from bot.pipeline.article import ArticleLoader, OnFetched, text_to_article
from bot.pipeline.assemble import AudioTags, assemble
from bot.pipeline.chunk import chunk_script
from bot.pipeline.fetch import Fetcher
from bot.pipeline.lexicon import Lexicon, load_lexicon
from bot.pipeline.llm import ChatClient, LLMConfig
from bot.pipeline.normalize import normalize
from bot.pipeline.script import build_script, estimate_seconds, truncate_article
from bot.pipeline.shorten import Preference, SummaryResult, shorten
from bot.pipeline.synthesize import synthesize_chunks
from bot.pipeline.talk import TalkScript, talk_script, write_talk
from bot.tts.base import SpeechEngine
from bot.tts.cache import ClipCache
from bot.tts.registry import build_engine

logger = logging.getLogger(__name__)

OFFLINE_ENGINE = "espeak"
# However long the host talks (a long title, every byline), the summary keeps at least this
# share of its listening time.
MIN_SUMMARY_SHARE: Final = 0.5

Stage = Literal["fetch", "extract", "synthesize", "assemble", "done"]


@dataclass(frozen=True)
class Progress:
    """Where a render stands; sent to the progress callback."""

    stage: Stage
    done: int = 0
    total: int = 0
    article: Article | None = None

    @property
    def percent(self) -> int:
        """Share of the chunks done, 0–100."""
        return int(100 * self.done / self.total) if self.total else 0


ProgressCallback = Callable[[Progress], Awaitable[None]]


@dataclass(frozen=True)
class RenderOptions:
    """How one article is to be rendered."""

    engine: str | None = None
    format: Literal["mp3", "ogg"] = "mp3"
    tempo: float = 1.0
    intro: bool = True
    truncate_words: int | None = None
    max_part_bytes: int | None = None


@dataclass(frozen=True)
class Prepared:
    """An article laid out for one engine: the script and the chunks sent to it."""

    article: Article
    script: Script
    chunks: tuple[Chunk, ...]
    engine: str
    voice: str
    truncated: bool


class Pipeline:
    """Fetch, extract, clean, script, normalise, chunk, synthesise and assemble."""

    def __init__(self, settings: Settings, *, fetcher: Fetcher | None = None) -> None:
        self.settings = settings
        self.fetcher = fetcher or Fetcher(settings)
        self.loader = ArticleLoader(self.fetcher)
        self.cache = ClipCache(settings.cache_dir)
        self.lexicon: Lexicon = load_lexicon(settings.data_dir)
        self._engines: dict[str, SpeechEngine] = {}
        llm = LLMConfig.from_settings(settings)
        self.llm: ChatClient | None = ChatClient(llm) if llm else None

    # --- loading --------------------------------------------------------------------------
    async def load(
        self, source: str, *, allow_local: bool = False, on_fetched: OnFetched | None = None
    ) -> Article:
        """Load an http(s) URL (or, for the CLI only, an .html/.txt file) as a clean Article."""
        return await self.loader.load(source, allow_local=allow_local, on_fetched=on_fetched)

    async def load_html(self, html: str, url: str | None) -> Article:
        """Extract and clean an HTML page (CPU work, off the event loop)."""
        return await self.loader.load_html(html, url)

    def article_from_text(self, text: str, title: str | None = None) -> Article:
        """An Article from plain text (forwarded posts, .txt files, stdin)."""
        return text_to_article(text, title)

    async def fetch_thumbnail(self, article: Article) -> bytes | None:
        """The article's image through the same guard, or None when there is none or it fails."""
        if not article.image:
            return None
        try:
            page = await self.fetcher.fetch(article.image, accept=("image/",))
        except SourceError as exc:
            logger.info("thumbnail %s not fetched: %s", article.image, exc.detail)
            return None
        return page.content

    # --- short versions and the conversation ---------------------------------------------
    async def summarize(
        self, article: Article, prefer: Preference = "auto", *, intro: bool = False
    ) -> SummaryResult:
        """The article's short version (the model's where configured, else extractive).

        With `intro` the host's intro and outro count towards HOERCLUB_SUMMARY_SECONDS, so the
        whole audio, not only the summary in it, lasts about that long.
        """
        seconds = self.settings.summary_seconds
        if intro:
            seconds = max(seconds * MIN_SUMMARY_SHARE, seconds - self.host_seconds(article))
        client = None if prefer == "extractive" else self.llm
        return await shorten(article, seconds=seconds, client=client, prefer=prefer)

    @staticmethod
    def host_seconds(article: Article) -> float:
        """How long the host speaks around the article's summary: intro, outro, pauses."""
        frame = dataclasses.replace(article, lead=None, blocks=(), summary_of_words=article.words)
        segments = build_script(frame, intro=True).segments
        words = sum(len(s.text.split()) for s in segments if s.role == "host")
        return estimate_seconds(words) + sum(s.pause_after_ms for s in segments) / 1000

    async def talk(self, article: Article) -> TalkScript:
        """The article as a validated host–guest conversation; needs a language model."""
        if self.llm is None:
            raise LanguageModelMissingError("HOERCLUB_LLM_BASE_URL and HOERCLUB_LLM_MODEL unset")
        return await write_talk(article, self.llm)

    def talk_script(self, talk: TalkScript) -> Script:
        """The conversation laid out as a Script (host and reader roles, chapters per question)."""
        return talk_script(talk)

    # --- rendering ------------------------------------------------------------------------
    def engine(self, name: str | None = None) -> SpeechEngine:
        """The engine by name (built once and kept)."""
        name = name or self.settings.tts_engine
        if name not in self._engines:
            self._engines[name] = build_engine(name, self.settings)
        return self._engines[name]

    def estimate_seconds(
        self, article: Article, tempo: float = 1.0, engine: str | None = None
    ) -> float:
        """Listening time of the article at the given tempo with the engine (default: ours)."""
        return estimate_seconds(article.words, tempo, engine or self.settings.tts_engine)

    def speakable(self, text: str, language: str) -> str:
        """Text as it is sent to the engine: normalised, lexicon applied."""
        if language == "de":
            return normalize(self.lexicon.apply(text), "de")
        return normalize(text, language)

    def prepare(
        self, article: Article, options: RenderOptions, script: Script | None = None
    ) -> Prepared:
        """Check limits, lay out the script (unless given) and cut it into engine-sized chunks."""
        truncated = False
        if options.truncate_words is not None and article.words > options.truncate_words:
            article = truncate_article(article, options.truncate_words)
            truncated = True
        elif article.words > self.settings.max_article_words:
            raise ArticleTooLongError(
                f"{article.words} words, limit {self.settings.max_article_words}",
                words=article.words,
                limit=self.settings.max_article_words,
            )
        engine = self.engine(options.engine)
        voice = engine.voice_for(article.language)
        if voice is None:
            raise UnsupportedLanguageError(
                f"engine {engine.name} has no voice for {article.language}",
                language=article.language,
            )
        if script is None:
            script = build_script(
                article,
                intro=options.intro,
                truncated=truncated,
                engine=engine.name,
                tempo=options.tempo,
            )
        spoken = Script(
            tuple(
                dataclasses.replace(seg, text=self.speakable(seg.text, script.language))
                for seg in script.segments
            ),
            language=script.language,
        )
        chunks = tuple(
            chunk_script(
                _non_empty(spoken), engine.max_chars, pack_segments=engine.max_chars <= 200
            )
        )
        return Prepared(article, script, chunks, engine.name, voice, truncated)

    async def render(
        self,
        article: Article,
        out_path: Path,
        options: RenderOptions | None = None,
        progress: ProgressCallback | None = None,
        script: Script | None = None,
    ) -> AudioResult:
        """Speak the article (or the given script) and write the audio; espeak when busy."""
        options = options or RenderOptions()
        prepared = self.prepare(article, options, script)
        fell_back = False
        try:
            clips = await self._synthesize(prepared, progress)
        except (EngineBusyError, SynthesisError) as exc:
            if not self.settings.tts_fallback or prepared.engine == OFFLINE_ENGINE:
                raise
            logger.warning("engine %s failed (%s); falling back to espeak", prepared.engine, exc)
            offline = dataclasses.replace(options, engine=OFFLINE_ENGINE)
            prepared = self.prepare(article, offline, script)
            clips = await self._synthesize(prepared, progress)
            fell_back = True
        if progress:
            await progress(Progress("assemble", len(clips), len(clips), prepared.article))
        a = prepared.article
        tags = AudioTags(
            title=a.title,
            artist=a.site or (urlsplit(a.url).hostname if a.url else None) or "Hörclub",
            album="Hörclub",
            date=a.date.isoformat() if a.date else None,
            url=a.url,
        )
        assembled = await assemble(
            clips,
            out_path,
            fmt=options.format,
            tempo=options.tempo,
            tags=tags,
            max_part_bytes=options.max_part_bytes,
        )
        if progress:
            await progress(Progress("done", len(clips), len(clips), prepared.article))
        return AudioResult(
            paths=tuple(assembled.paths),
            format=options.format,
            duration_seconds=assembled.duration_seconds,
            engine=prepared.engine,
            voice=prepared.voice,
            fell_back=fell_back,
            part_durations=tuple(assembled.part_durations),
        )

    async def _synthesize(
        self, prepared: Prepared, progress: ProgressCallback | None
    ) -> list[Clip]:
        engine = self.engine(prepared.engine)
        total = len(prepared.chunks)

        async def on_progress(done: int, total_: int) -> None:
            if progress:
                await progress(Progress("synthesize", done, total_, prepared.article))

        if progress:
            await progress(Progress("synthesize", 0, total, prepared.article))
        return await synthesize_chunks(
            engine,
            prepared.chunks,
            prepared.voice,
            concurrency=self.settings.tts_concurrency,
            cache=self.cache,
            on_progress=on_progress,
        )

    async def aclose(self) -> None:
        """Close the fetcher and every engine that was built."""
        await self.fetcher.aclose()
        if self.llm is not None:
            await self.llm.aclose()
        for engine in self._engines.values():
            await engine.aclose()
        self._engines.clear()


def _non_empty(script: Script) -> Script:
    """Drop segments that normalised to nothing (an emoji-only line, say)."""
    segments: list[Segment] = [s for s in script.segments if s.text.strip()]
    return Script(tuple(segments), language=script.language)
