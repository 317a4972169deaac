"""The pipeline as one service: load a source into an Article, render an Article into audio."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit

from bot.config import Settings
from bot.errors import (
    ArticleTooLongError,
    AudioError,
    EngineBusyError,
    LanguageModelMissingError,
    NoWordsError,
    SourceError,
    SynthesisError,
    UnsupportedLanguageError,
)
from bot.models import (
    ROLES,
    Article,
    AudioResult,
    Chunk,
    Clip,
    Role,
    Script,
    Segment,
)
from bot.pipeline.article import ArticleLoader, OnFetched, text_to_article
from bot.pipeline.assemble import LOUDNESS_TARGET_LUFS, AudioTags, assemble
from bot.pipeline.chunk import chunk_script
from bot.pipeline.fetch import Fetcher
from bot.pipeline.lexicon import Lexicon, load_lexicon
from bot.pipeline.llm import ChatClient, LLMConfig
from bot.pipeline.normalize import normalize
from bot.pipeline.script import (
    build_script,
    estimate_seconds,
    split_quotations,
    truncate_article,
)
from bot.pipeline.shorten import Preference, SummaryResult, shorten
from bot.pipeline.subtitles import write_subtitles
from bot.pipeline.synthesize import synthesize_prefix
from bot.pipeline.talk import TalkScript, talk_script, write_talk
from bot.tts.base import SpeechEngine
from bot.tts.cache import ClipCache
from bot.tts.registry import build_engine, voice_at_tempo, voice_catalogue

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
    subtitles: bool = False  # a WebVTT file beside the audio (one file, not parts)
    # The room's production: a chime before each section and one loudness for the whole file.
    room: bool = True
    # Direct quotations („…“, "…") in a third voice, where the engine has one (a user setting).
    quote_voice: bool = False
    # Voices the listener chose, by role ("reader", "host"): used by the engine they belong to
    # when they speak the article's language, else that engine's own voices.
    chosen_voices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Prepared:
    """An article laid out for one engine: the script and the chunks sent to it."""

    article: Article
    script: Script
    chunks: tuple[Chunk, ...]
    engine: str
    voice: str
    truncated: bool
    # The script as spoken (normalised, empty segments dropped): chunks index its segments.
    spoken: Script | None = None
    # The engine speaks at the options' tempo itself (its rate): nothing left for atempo.
    engine_tempo: bool = False
    voices: Mapping[Role, str] = field(default_factory=dict)  # per role; `voice` is the reader's


class Pipeline:
    """Fetch, extract, clean, script, normalise, chunk, synthesise and assemble."""

    def __init__(self, settings: Settings, *, fetcher: Fetcher | None = None) -> None:
        self.settings = settings
        self.fetcher = fetcher or Fetcher(settings)
        self.loader = ArticleLoader(self.fetcher, extract_timeout=settings.extract_timeout)
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
        first = options.truncate_words  # a button's data: a forged one may say any number
        if first is not None and article.words > min(first, self.settings.max_article_words):
            article = truncate_article(article, min(first, self.settings.max_article_words))
            truncated = True
        elif article.words > self.settings.max_article_words:
            raise ArticleTooLongError(
                f"{article.words} words, limit {self.settings.max_article_words}",
                words=article.words,
                limit=self.settings.max_article_words,
                max_words=self.settings.max_article_words,  # the message's placeholder
            )
        engine = self.engine(options.engine)
        voices = engine.voices_for(article.language)
        if voices is None:
            raise UnsupportedLanguageError(
                f"engine {engine.name} has no voice for {article.language}",
                language=article.language,
            )
        from_article = script is None
        if script is None:
            script = build_script(
                article,
                intro=options.intro,
                truncated=truncated,
                engine=engine.name,
                tempo=options.tempo,
            )
        if options.quote_voice and voices["quote"] != voices["reader"]:
            script = split_quotations(script)  # the words stay; quotes become their own segments
        spoken = _non_empty(
            Script(
                tuple(
                    dataclasses.replace(seg, text=self.speakable(seg.text, script.language))
                    for seg in script.segments
                ),
                language=script.language,
            )
        )
        if from_article and not any(
            seg.role != "host" and any(ch.isalnum() for ch in seg.text) for seg in spoken.segments
        ):
            # Everything of the article itself normalised away (emoji, symbols): the host's
            # intro and outro alone are no audio worth sending.
            raise NoWordsError("nothing of the article is left to speak")
        return self._for_engine(
            Prepared(article, script, (), engine.name, voices["reader"], truncated, spoken),
            engine,
            options,
        )

    def _for_engine(
        self, prepared: Prepared, engine: SpeechEngine, options: RenderOptions, start: int = 0
    ) -> Prepared:
        """The spoken script from segment `start` on, chunked for `engine` at its voices."""
        voices = engine.voices_for(prepared.article.language)
        if voices is None:
            raise UnsupportedLanguageError(
                f"engine {engine.name} has no voice for {prepared.article.language}",
                language=prepared.article.language,
            )
        voices.update(_chosen(engine.name, prepared.article.language, options.chosen_voices))
        if not options.quote_voice:
            voices["quote"] = voices["reader"]
        voice = voices["reader"]
        at_tempo = voice_at_tempo(engine, voice, options.tempo) if options.tempo != 1.0 else None
        if at_tempo is not None:  # every role at the engine's own rate, or none
            voices = {
                role: voice_at_tempo(engine, v, options.tempo) or v for role, v in voices.items()
            }
        spoken = prepared.spoken or prepared.script
        rest = Script(spoken.segments[start:], language=spoken.language)
        chunks = tuple(
            dataclasses.replace(chunk, segment_index=chunk.segment_index + start)
            for chunk in chunk_script(rest, engine.max_chars, pack_segments=engine.max_chars <= 200)
        )
        return dataclasses.replace(
            prepared,
            chunks=chunks,
            engine=engine.name,
            voice=at_tempo or voice,
            engine_tempo=at_tempo is not None,
            voices=voices,
        )

    def engine_chain(self, first: str | None = None) -> list[str]:
        """The engines tried for a render, in turn: the chosen one, then the chain after it."""
        first = (first or self.settings.tts_engine).lower()
        if not self.settings.tts_fallback:
            return [first]
        chain = self.settings.engine_chain
        rest = chain[chain.index(first) + 1 :] if first in chain else chain
        return list(dict.fromkeys([first, *rest]))

    async def render(
        self,
        article: Article,
        out_path: Path,
        options: RenderOptions | None = None,
        progress: ProgressCallback | None = None,
        script: Script | None = None,
    ) -> AudioResult:
        """Speak the article (or the given script) and write the audio.

        An engine that keeps failing hands the rest of the article, from the first paragraph it
        did not finish, to the next engine of the chain (`engine_chain`): paragraphs are never
        mixed. At a tempo the first engine spoke through its own rate and the next cannot, the
        next speaks the whole article (one tempo for the file).
        """
        options = options or RenderOptions()
        prepared = self.prepare(article, options, script)
        clips, texts, prepared, engines = await self._speak_with_chain(prepared, options, progress)
        fell_back = engines != [self.engine_chain(options.engine)[0]]
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
        try:
            assembled = await assemble(
                clips,
                out_path,
                fmt=options.format,
                tempo=1.0 if prepared.engine_tempo else options.tempo,
                tags=tags,
                max_part_bytes=options.max_part_bytes,
                chime=options.room,
                loudness=LOUDNESS_TARGET_LUFS if options.room else None,
            )
        except AudioError as exc:
            # Clips that cannot be joined are the engine's failure too: they are not served
            # again from the cache, and the offline engine reads the article.
            for voice in set((prepared.voices or {}).values()) | {prepared.voice}:
                await asyncio.to_thread(self.cache.discard, prepared.engine, voice, texts)
            if not self.settings.tts_fallback or prepared.engine == OFFLINE_ENGINE:
                raise
            logger.warning("engine %s: audio not joinable (%s); espeak reads", prepared.engine, exc)
            offline = dataclasses.replace(options, engine=OFFLINE_ENGINE)
            result = await self.render(article, out_path, offline, progress, script)
            return dataclasses.replace(result, fell_back=True)
        subtitles = None
        if options.subtitles and len(assembled.paths) == 1:
            tempo = 1.0 if prepared.engine_tempo else options.tempo
            subtitles = await write_subtitles(
                clips, texts, assembled.paths[0].with_suffix(".vtt"), tempo=tempo
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
            engines=tuple(engines),
            subtitles=subtitles,
            part_chapters=assembled.part_chapters,
        )

    async def _speak_with_chain(
        self, prepared: Prepared, options: RenderOptions, progress: ProgressCallback | None
    ) -> tuple[list[Clip], list[str], Prepared, list[str]]:
        """Clips for the whole script, engine after engine along the chain; which engines spoke.

        Returns the clips, their chunks' texts, the Prepared of the last engine that spoke and
        the engines in order.
        """
        chain = self.engine_chain(options.engine)
        kept: list[Clip] = []
        texts: list[str] = []
        start = 0  # the first spoken segment not yet spoken
        engines: list[str] = []
        current = prepared
        for position, name in enumerate(chain):
            if position:
                try:
                    current = self._for_engine(prepared, self.engine(name), options, start)
                except UnsupportedLanguageError:
                    logger.info(
                        "engine %s has no voice for %s; skipped", name, prepared.article.language
                    )
                    continue
                if kept and current.engine_tempo != prepared.engine_tempo:
                    # One tempo for the file: the next engine speaks everything.
                    kept, texts, start, engines = [], [], 0, []
                    current = self._for_engine(prepared, self.engine(name), options)
            clips, failure = await self._synthesize(current, progress, done_before=len(kept))
            if failure is None:
                if clips:
                    engines.append(current.engine)
                return kept + clips, texts + [c.text for c in current.chunks], current, engines
            if not isinstance(failure, EngineBusyError | SynthesisError):
                raise failure
            if position + 1 == len(chain):
                raise failure
            whole = _whole_segments(current, clips)
            if whole:
                engines.append(current.engine)
                kept += clips[:whole]
                texts += [chunk.text for chunk in current.chunks[:whole]]
                start = current.chunks[whole].segment_index
            logger.warning(
                "engine %s failed (%s); %s goes on from segment %d",
                current.engine, failure, chain[position + 1], start,
            )  # fmt: skip
            prepared = dataclasses.replace(prepared, engine_tempo=current.engine_tempo)
        raise SynthesisError("no engine of the chain could speak this language")

    async def _synthesize(
        self, prepared: Prepared, progress: ProgressCallback | None, done_before: int = 0
    ) -> tuple[list[Clip], Exception | None]:
        engine = self.engine(prepared.engine)
        total = done_before + len(prepared.chunks)

        async def on_progress(done: int, total_: int) -> None:
            if progress:
                await progress(
                    Progress(
                        "synthesize", done_before + done, done_before + total_, prepared.article
                    )
                )

        if progress:
            await progress(Progress("synthesize", done_before, total, prepared.article))
        # An engine with limits of its own (edge-tts) says how many of its requests may fly.
        concurrency = getattr(engine, "concurrency", self.settings.tts_concurrency)
        return await synthesize_prefix(
            engine,
            prepared.chunks,
            prepared.voices or prepared.voice,
            concurrency=concurrency,
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


def _whole_segments(prepared: Prepared, clips: Sequence[Clip]) -> int:
    """How many of the finished clips make whole segments: they end where a segment ends.

    Joining chunks with single spaces gives their segments' text (the chunker's invariant); a
    chunk packed across a segment end (gTTS) does not end one, so the cut goes further back.
    """
    chunks = prepared.chunks
    spoken = prepared.spoken or prepared.script
    for count in range(len(clips), 0, -1):
        if count < len(chunks) and chunks[count].segment_index == chunks[count - 1].segment_index:
            continue  # the next chunk is the same segment's
        first = chunks[0].segment_index
        stop = chunks[count].segment_index if count < len(chunks) else len(spoken.segments)
        said = " ".join(chunk.text for chunk in chunks[:count]).split()
        if said == " ".join(s.text for s in spoken.segments[first:stop]).split():
            return count
    return 0


def _non_empty(script: Script) -> Script:
    """Drop segments that normalised to nothing (an emoji-only line, say)."""
    segments: list[Segment] = [s for s in script.segments if s.text.strip()]
    return Script(tuple(segments), language=script.language)


def _chosen(engine: str, language: str, chosen: tuple[tuple[str, str], ...]) -> dict[Role, str]:
    """The chosen voices this engine has for this language, by role."""
    if not chosen:
        return {}
    spoken = language.lower().replace("_", "-").split("-")[0]
    own = {v.voice for v in voice_catalogue() if v.engine == engine and v.language == spoken}
    return {r: voice for r in ROLES for role, voice in chosen if role == r and voice in own}
