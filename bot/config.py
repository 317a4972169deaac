"""Settings from environment variables and `.env`, built once and passed down."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

GTTS_DEFAULT_ENDPOINT = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
TELEGRAM_DEFAULT_BASE_URL = "https://api.telegram.org/bot"
TELEGRAM_DEFAULT_FILE_BASE_URL = "https://api.telegram.org/file/bot"


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Everything the bot and the pipeline can be told from outside."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # --- pipeline -------------------------------------------------------------------------
    # A name in bot.tts.registry.ENGINE_NAMES (the settings are a leaf and cannot import it):
    # the CLI, through which every command and the bot start, refuses any other.
    tts_engine: str = Field("gtts", alias="HOERCLUB_TTS_ENGINE")
    gtts_endpoint: str = Field(GTTS_DEFAULT_ENDPOINT, alias="HOERCLUB_GTTS_ENDPOINT")
    gtts_timeout: float = Field(15.0, alias="HOERCLUB_GTTS_TIMEOUT")
    gtts_retries: int = Field(4, alias="HOERCLUB_GTTS_RETRIES")
    tts_concurrency: int = Field(4, ge=1, le=64, alias="HOERCLUB_TTS_CONCURRENCY")
    tts_fallback: bool = Field(True, alias="HOERCLUB_TTS_FALLBACK")
    # The engines tried in turn when one keeps failing (names of bot.tts.registry.ENGINE_NAMES);
    # empty: "edge,gtts,espeak" when the engine is edge, else "gtts,espeak".
    tts_chain: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="HOERCLUB_TTS_CHAIN"
    )
    # edge-tts: None is the library's own endpoint (Microsoft's); tests point it at a fake.
    edge_endpoint: str | None = Field(None, alias="HOERCLUB_EDGE_ENDPOINT")
    edge_timeout: float = Field(20.0, gt=0, alias="HOERCLUB_EDGE_TIMEOUT")
    edge_retries: int = Field(3, ge=0, alias="HOERCLUB_EDGE_RETRIES")
    # 8: a 2,000-word article in 9.0 s at 300 ms a request, 4: 16.3 s (bench.bench_tts).
    edge_concurrency: int = Field(8, ge=1, le=64, alias="HOERCLUB_EDGE_CONCURRENCY")
    fetch_allow_networks: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="HOERCLUB_FETCH_ALLOW_NETWORKS"
    )
    fetch_timeout: float = Field(20.0, alias="HOERCLUB_FETCH_TIMEOUT")
    fetch_max_bytes: int = Field(5 * 1024 * 1024, alias="HOERCLUB_FETCH_MAX_BYTES")
    # Reading a page's text takes under a second for ordinary articles (bench.bench_extract);
    # 20 s leaves room for a big page on a busy machine and stops a pathological one.
    extract_timeout: float = Field(20.0, gt=0, alias="HOERCLUB_EXTRACT_TIMEOUT")
    data_dir: Path = Field(Path("./data"), alias="HOERCLUB_DATA_DIR")
    max_article_words: int = Field(12_000, ge=50, alias="HOERCLUB_MAX_ARTICLE_WORDS")
    host_intro: bool = Field(True, alias="HOERCLUB_HOST_INTRO")
    log_level: str = Field("INFO", alias="HOERCLUB_LOG_LEVEL")
    # Which ffmpeg and espeak-ng: "auto" prefers the system's and falls back to the wheels of
    # the extra "bundled"; "system" or "bundled" insist (CI runs the tests once with each).
    ffmpeg: Literal["auto", "system", "bundled"] = Field("auto", alias="HOERCLUB_FFMPEG")
    espeak: Literal["auto", "system", "bundled"] = Field("auto", alias="HOERCLUB_ESPEAK")

    # --- summaries and the language model -------------------------------------------------
    summary_seconds: float = Field(75.0, ge=20, le=600, alias="HOERCLUB_SUMMARY_SECONDS")
    llm_base_url: str | None = Field(None, alias="HOERCLUB_LLM_BASE_URL")
    llm_model: str | None = Field(None, alias="HOERCLUB_LLM_MODEL")
    llm_api_key: SecretStr | None = Field(None, alias="HOERCLUB_LLM_API_KEY")
    llm_timeout: float = Field(30.0, gt=0, alias="HOERCLUB_LLM_TIMEOUT")
    # --- feeds ----------------------------------------------------------------------------
    # Bounds of each feed's adaptive polling interval, in seconds (tests set the lower one to 2).
    feed_min_interval: int = Field(300, ge=1, alias="HOERCLUB_FEED_MIN_INTERVAL")
    feed_max_interval: int = Field(6 * 3600, ge=1, alias="HOERCLUB_FEED_MAX_INTERVAL")
    # Entries one chat gets singly per day; the rest waits for its next round-up.
    feed_daily_cap: int = Field(20, ge=1, alias="HOERCLUB_FEED_DAILY_CAP")
    # Subscriptions one chat may hold: every feed is polled for as long as anyone follows it,
    # and the daily cap bounds the audio, not the polling. 50 is above the largest club (a
    # dozen feeds) several times over.
    feed_max_subscriptions: int = Field(50, ge=1, alias="HOERCLUB_FEED_MAX_SUBSCRIPTIONS")
    # A feed failing without a break for this many days (and many attempts) is switched off.
    feed_deactivate_days: float = Field(3.0, gt=0, alias="HOERCLUB_FEED_DEACTIVATE_DAYS")

    # --- telegram -------------------------------------------------------------------------
    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(TELEGRAM_DEFAULT_BASE_URL, alias="TELEGRAM_API_BASE_URL")
    telegram_file_base_url: str = Field(
        TELEGRAM_DEFAULT_FILE_BASE_URL, alias="TELEGRAM_FILE_BASE_URL"
    )
    database_url: str | None = Field(None, alias="HOERCLUB_DATABASE_URL")
    # redis://host:6379/0: Telegram's flood limits shared by every process of the fleet; unset,
    # each process (one, with `hoerclub bot`) keeps them itself.
    redis_url: str | None = Field(None, alias="HOERCLUB_REDIS_URL")
    workers: int = Field(3, ge=1, le=64, alias="HOERCLUB_WORKERS")
    allowed_users: Annotated[list[int], NoDecode] = Field(
        default_factory=list, alias="HOERCLUB_ALLOWED_USERS"
    )
    admin_chat_id: int | None = Field(None, alias="HOERCLUB_ADMIN_CHAT_ID")
    max_waiting_jobs: int = Field(10, ge=1, alias="HOERCLUB_MAX_WAITING_JOBS")
    max_jobs_per_day: int = Field(100, ge=1, alias="HOERCLUB_MAX_JOBS_PER_DAY")
    max_links_per_message: int = Field(5, ge=1, alias="HOERCLUB_MAX_LINKS_PER_MESSAGE")
    upload_limit_mb: int | None = Field(None, alias="HOERCLUB_UPLOAD_LIMIT_MB")

    # --- disk and database upkeep ---------------------------------------------------------
    # The clip cache's cap: least recently used clips go first. 200 espeak articles kept
    # 1.2 GB as WAV; compressed, 2 GB holds several hundred articles' clips.
    cache_max_mb: int = Field(2048, ge=1, alias="HOERCLUB_CACHE_MAX_MB")
    # Days finished jobs, daily usage counts and reusable Telegram uploads are kept.
    job_retention_days: float = Field(30.0, gt=0, alias="HOERCLUB_JOB_RETENTION_DAYS")
    usage_retention_days: float = Field(7.0, ge=2, alias="HOERCLUB_USAGE_RETENTION_DAYS")
    audio_cache_retention_days: float = Field(
        90.0, gt=0, alias="HOERCLUB_AUDIO_CACHE_RETENTION_DAYS"
    )

    # --- roles: `hoerclub web` and `hoerclub worker` ----------------------------------------
    web_host: str = Field("127.0.0.1", alias="HOERCLUB_WEB_HOST")
    web_port: int = Field(8080, ge=1, le=65535, alias="HOERCLUB_WEB_PORT")
    webhook_secret: SecretStr | None = Field(None, alias="HOERCLUB_WEBHOOK_SECRET")
    public_url: str | None = Field(None, alias="HOERCLUB_PUBLIC_URL")
    # A worker serves /metrics and /healthz on this port when set.
    metrics_port: int | None = Field(None, ge=1, le=65535, alias="HOERCLUB_METRICS_PORT")
    # Job leases and the sweep for dead workers' jobs (the job service's defaults; tests of
    # killed workers shorten them).
    job_lease_seconds: float = Field(30.0, gt=0, alias="HOERCLUB_JOB_LEASE_SECONDS")
    job_sweep_seconds: float = Field(10.0, gt=0, alias="HOERCLUB_JOB_SWEEP_SECONDS")

    @field_validator("fetch_allow_networks", mode="before")
    @classmethod
    def _parse_networks(cls, value: object) -> object:
        value = _split_csv(value)
        if isinstance(value, list):
            for item in value:
                ipaddress.ip_network(str(item), strict=False)
        return value

    @field_validator("allowed_users", mode="before")
    @classmethod
    def _parse_users(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("tts_chain", mode="before")
    @classmethod
    def _parse_chain(cls, value: object) -> object:
        value = _split_csv(value)
        return [str(name).lower() for name in value] if isinstance(value, list) else value

    @field_validator("edge_endpoint", mode="before")
    @classmethod
    def _empty_endpoint_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def engine_chain(self) -> list[str]:
        """The engines in the order they are tried: the configured chain or the default one."""
        if self.tts_chain:
            return list(dict.fromkeys(self.tts_chain))
        if self.tts_engine == "edge":
            return ["edge", "gtts", "espeak"]
        return list(dict.fromkeys([self.tts_engine, "gtts", "espeak"]))

    @field_validator(
        "admin_chat_id",
        "database_url",
        "upload_limit_mb",
        "webhook_secret",
        "public_url",
        "metrics_port",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("redis_url", mode="before")
    @classmethod
    def _check_redis_url(cls, value: object) -> object:
        if value == "":
            return None
        if isinstance(value, str) and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("HOERCLUB_REDIS_URL starts with redis://, rediss:// or unix://")
        return value

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("llm_base_url", "llm_model", "llm_api_key", mode="before")
    @classmethod
    def _empty_llm_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def llm_configured(self) -> bool:
        """Whether an OpenAI-compatible endpoint and model are set (abstracts, Raumgespräch)."""
        return bool(self.llm_base_url and self.llm_model)

    @property
    def cache_dir(self) -> Path:
        """Where synthesised clips are kept, keyed by engine, voice and text."""
        return self.data_dir / "cache"

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'hoerclub.sqlite3').as_posix()}"

    @property
    def upload_limit_bytes(self) -> int:
        """Telegram's upload limit: 50 MB via api.telegram.org, 2,000 MB self-hosted."""
        if self.upload_limit_mb is not None:
            return self.upload_limit_mb * 1000 * 1000
        if self.telegram_api_base_url.rstrip("/") == TELEGRAM_DEFAULT_BASE_URL:
            return 50 * 1000 * 1000
        return 2000 * 1000 * 1000


def load_settings(**overrides: object) -> Settings:
    """Build the settings once, from the environment, `.env` and explicit overrides."""
    return Settings(**overrides)  # type: ignore[arg-type]
