"""The error tree: each user-facing error carries a German message key and a CLI exit code."""

from __future__ import annotations

import errno


class HoerclubError(Exception):
    """Base of every error the pipeline raises on purpose."""

    key: str = "error.unexpected"
    exit_code: int = 1
    # Whether the job queue tries the job again later (the cause may pass by itself).
    retryable: bool = False

    def __init__(self, detail: str = "", **params: object) -> None:
        super().__init__(detail or self.key)
        self.detail = detail or self.key
        self.params = params


class UsageError(HoerclubError):
    """The command line or the request itself is malformed."""

    key = "error.usage"
    exit_code = 2


class SubscriptionLimitError(HoerclubError):
    """The chat already follows as many feeds as one chat may."""

    key = "feeds.too_many"
    exit_code = 2

    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} subscriptions per chat", limit=limit)
        self.limit = limit


class SourceError(HoerclubError):
    """The source was refused or could not be fetched."""

    key = "error.source"
    exit_code = 3


class ForbiddenAddressError(SourceError):
    """The address is loopback, private, link-local or otherwise not public."""

    key = "error.forbidden_address"


class BadSchemeError(SourceError):
    """Only http and https links are read."""

    key = "error.bad_scheme"


class BadLinkError(BadSchemeError):
    """The link cannot be an address: broken brackets, an invalid IDN label, a port out of range."""

    key = "error.bad_link"


class TooLargeError(SourceError):
    """The page is larger than the fetch limit."""

    key = "error.too_large"


class TooManyRedirectsError(SourceError):
    """The link redirects more often than the fetcher follows."""

    key = "error.redirects"


class FetchTimeoutError(SourceError):
    """The page did not arrive in time."""

    key = "error.timeout"


class HTTPStatusError(SourceError):
    """The server answered with an error status."""

    key = "error.http_status"


class UnreachableError(SourceError):
    """The host could not be resolved or connected to."""

    key = "error.unreachable"


class NotAnArticleError(SourceError):
    """The link points to a PDF, an image or something else that is not an HTML page."""

    key = "error.not_html"


class NoArticleError(HoerclubError):
    """No readable article text was found."""

    key = "error.no_article"
    exit_code = 4


class NotTextError(NoArticleError):
    """The input is binary data (an image, a PDF, an archive), not text to read."""

    key = "error.not_text"


class NoWordsError(NoArticleError):
    """The text holds no words to read: only emoji, symbols or punctuation."""

    key = "error.no_words"


class PaywallError(NoArticleError):
    """The page shows a paywall or a consent wall instead of the article."""

    key = "error.paywall"


class PdfScannedError(NoArticleError):
    """The PDF has no text layer (a scan or pictures of pages): there is nothing to read."""

    key = "error.pdf_scanned"


class PdfEncryptedError(NoArticleError):
    """The PDF is protected by a password."""

    key = "error.pdf_encrypted"


class PdfBrokenError(NoArticleError):
    """The file claims to be a PDF but cannot be read."""

    key = "error.pdf_broken"


class ArticleTooLongError(HoerclubError):
    """The article exceeds the configured word limit."""

    key = "error.too_long"
    exit_code = 4


class ExtractTimeoutError(HoerclubError):
    """Reading the page's text took longer than the extraction deadline (a pathological page)."""

    key = "error.too_complex"
    exit_code = 4


class UnsupportedLanguageError(HoerclubError):
    """The engine has no voice for the article's language."""

    key = "error.language"
    exit_code = 5


class SynthesisError(HoerclubError):
    """Speech synthesis failed after all retries."""

    key = "error.synthesis"
    exit_code = 5


class EngineBusyError(SynthesisError):
    """The speech service kept answering 429 or 5xx."""

    key = "error.engine_busy"


class LanguageModelError(HoerclubError):
    """The language model failed or answered with something unusable."""

    key = "error.llm"
    exit_code = 5


class LanguageModelMissingError(LanguageModelError):
    """A feature needs a language model and none is configured."""

    key = "error.llm_missing"
    exit_code = 2


class AudioError(HoerclubError):
    """Joining or encoding the audio failed."""

    key = "error.audio"
    exit_code = 5


class StorageUnavailableError(HoerclubError):
    """The disk is full or the database is damaged or gone: nothing the user can change."""

    key = "error.unavailable"
    exit_code = 75  # EX_TEMPFAIL: try again once the operator has made room or restored


class NoRoomError(StorageUnavailableError):
    """The data directory takes no writes (full disk, quota, read-only): retried later."""

    key = "error.disk_full"
    retryable = True


# errno values that mean "nothing can be written there now"; EFBIG is a file-size limit.
_NO_ROOM_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})
# How ffmpeg words the same errors on its stderr (strerror of the errno values above).
_NO_ROOM_WORDS = ("No space left on device", "Disk quota exceeded", "Read-only file system")


def no_room(exc: BaseException) -> bool:
    """Whether an error, or one it was raised from, means the disk takes no writes."""
    seen: BaseException | None = exc
    for _ in range(10):  # a cause chain is short; a cycle must not loop
        if seen is None:
            return False
        if isinstance(seen, OSError) and seen.errno in _NO_ROOM_ERRNOS:
            return True
        if isinstance(seen, AudioError) and any(w in str(seen) for w in _NO_ROOM_WORDS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
