"""The Bot API behaviour of FakeTelegram: state, method handlers, update injection, inspection.

No HTTP here (see fake_telegram.py). Every public method is thread-safe: the HTTP side runs in
its own thread, tests call in from theirs, and both go through one lock.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import logging
import math
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from tests.support.fake_telegram_entities import (
    PARSE_MODES,
    EntityParseError,
    detect_entities,
    strip_text,
)
from tests.support.fake_telegram_media import (
    MIME_BY_FORMAT,
    audio_info,
    image_size,
    new_file_id,
    new_file_unique_id,
    sniff_format,
)

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]

# Limits from https://core.telegram.org/bots/api and https://core.telegram.org/bots/faq.
MAX_TEXT_LENGTH: Final = 4096  # sendMessage text, after entity parsing
MAX_CAPTION_LENGTH: Final = 1024  # media captions, after entity parsing
MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024  # "up to 50 MB" per upload via api.telegram.org
MAX_DOWNLOAD_BYTES: Final = 20 * 1024 * 1024  # getFile: "up to 20 MB"
MAX_THUMBNAIL_BYTES: Final = 200 * 1024  # "less than 200 kB", JPEG, at most 320 px a side
MAX_THUMBNAIL_SIDE: Final = 320
MAX_CALLBACK_DATA_BYTES: Final = 64  # InlineKeyboardButton.callback_data: 1-64 bytes
MAX_CALLBACK_ANSWER_LENGTH: Final = 200  # answerCallbackQuery text: 0-200 characters
CALLBACK_QUERY_TIMEOUT: Final = 15.0  # seconds until "query is too old" (clients give up ~15 s)
GLOBAL_MESSAGES_PER_SECOND: Final = 30  # FAQ: "no more than 30 messages per second"
GROUP_MESSAGES_PER_MINUTE: Final = 20  # FAQ: "no more than 20 messages per minute" per group

NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
POLL_CONFLICT: Final = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
WEBHOOK_CONFLICT: Final = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
# The fake accepts plain HTTP webhooks on the loopback interface (tests have no certificates).
_LOOPBACK_HTTP: Final = re.compile(r"http://(127\.0\.0\.1|localhost)(:\d+)?/", re.IGNORECASE)
WRONG_FILE_ID: Final = "Bad Request: wrong file identifier/HTTP URL specified"
QUERY_TOO_OLD: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)

# Update types delivered when allowed_updates is empty or was never set.
DEFAULT_UPDATE_TYPES: Final = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "link_preview_options",
        "reaction",
        "message_ids",
        "media",
    }
)
_INT_PARAMS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "duration",
        "width",
        "height",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "show_alert",
        "allow_sending_without_reply",
        "is_big",
        "has_spoiler",
        "disable_content_type_detection",
        "supports_streaming",
        "allow_paid_broadcast",
        "show_caption_above_media",
        "disable_web_page_preview",
    }
)


def _reaction_emoji() -> frozenset[str]:
    try:
        from telegram.constants import ReactionEmoji
    except ImportError:  # pragma: no cover - python-telegram-bot is a dependency
        return frozenset({"👍", "👎", "❤", "🔥", "🎉", "🤔", "👀", "🙏", "👌", "💯"})
    return frozenset(item.value for item in ReactionEmoji)


REACTION_EMOJI: Final = _reaction_emoji()


class ApiError(Exception):
    """A Bot API error answer: HTTP status, Telegram's description, optional parameters."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        """The JSON body Telegram sends with this error."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str) -> ApiError:
    """A 400 with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {message}")


def too_many_requests(retry_after: int) -> ApiError:
    """A 429 flood-control answer with retry_after seconds."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


@dataclass(frozen=True)
class UploadedFile:
    """One multipart file part of a request. `data` is empty when the part was over the limit."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes
    size: int


@dataclass(frozen=True)
class Call:
    """One request the bot made. Unpacks as ``method, params, files``.

    `params` are decoded the way Telegram reads them: JSON fields (reply_markup, entities,
    commands, ...) as objects, integer fields as int, booleans as bool, the rest as str.
    """

    method: str
    params: JSONDict
    files: dict[str, UploadedFile]
    status: int
    result: Any = None
    description: str | None = None
    at: float = 0.0

    def __iter__(self) -> Iterator[Any]:
        return iter((self.method, self.params, self.files))

    @property
    def ok(self) -> bool:
        """Whether the answer was a success."""
        return self.status == 200


@dataclass(frozen=True)
class StoredFile:
    """A file the fake server holds, with the Telegram object it was sent as."""

    file_id: str
    file_unique_id: str
    kind: str  # audio, voice, document, photo, thumbnail
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str
    obj: Any  # the Audio/Voice/Document dict, or the PhotoSize list


@dataclass(frozen=True)
class SentMessage:
    """A snapshot of a message in a chat, with every version it had (first = as sent)."""

    chat_id: int
    message_id: int
    from_bot: bool
    method: str | None
    message: JSONDict
    versions: tuple[JSONDict, ...]
    deleted: bool
    reactions: tuple[JSONDict, ...]

    @property
    def kind(self) -> str:
        """text, audio, voice, document or photo."""
        for kind in ("audio", "voice", "document", "photo"):
            if kind in self.message:
                return kind
        return "text"

    @property
    def text(self) -> str | None:
        """The current text (None for media messages)."""
        return self.message.get("text")

    @property
    def caption(self) -> str | None:
        """The current caption of a media message."""
        return self.message.get("caption")

    @property
    def entities(self) -> list[JSONDict]:
        """Entities of the text or caption."""
        return list(self.message.get("entities") or self.message.get("caption_entities") or [])

    @property
    def audio(self) -> JSONDict | None:
        """The Audio object, if this is an audio message."""
        return self.message.get("audio")

    @property
    def voice(self) -> JSONDict | None:
        """The Voice object, if this is a voice message."""
        return self.message.get("voice")

    @property
    def document(self) -> JSONDict | None:
        """The Document object, if this is a document message."""
        return self.message.get("document")

    @property
    def file_id(self) -> str | None:
        """file_id of the audio, voice or document."""
        media = self.audio or self.voice or self.document
        return None if media is None else str(media["file_id"])

    @property
    def reply_markup(self) -> JSONDict | None:
        """The current inline keyboard, if any."""
        return self.message.get("reply_markup")

    @property
    def reply_to_message_id(self) -> int | None:
        """The message this one replies to."""
        reply = self.message.get("reply_to_message")
        return None if reply is None else int(reply["message_id"])

    @property
    def buttons(self) -> list[JSONDict]:
        """Every inline button of the current keyboard, row by row."""
        markup = self.reply_markup or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    def button(self, label: str) -> str:
        """callback_data of the first button whose text contains `label`."""
        for item in self.buttons:
            if label in item.get("text", "") and "callback_data" in item:
                return str(item["callback_data"])
        texts = [item.get("text") for item in self.buttons]
        raise LookupError(f"no button with {label!r} in message {self.message_id}: {texts}")

    @property
    def texts(self) -> list[str | None]:
        """Text or caption of every version, oldest first."""
        return [v.get("text", v.get("caption")) for v in self.versions]

    @property
    def edit_count(self) -> int:
        """How often the message was edited."""
        return len(self.versions) - 1


@dataclass
class _MessageState:
    message: JSONDict
    from_bot: bool
    method: str | None
    versions: list[JSONDict]
    deleted: bool = False
    reactions: list[JSONDict] = field(default_factory=list)
    reply_keyboard: JSONDict | None = None


@dataclass
class _ChatState:
    chat: JSONDict
    messages: dict[int, _MessageState] = field(default_factory=dict)
    next_message_id: int = 1
    blocked: bool = False
    voice_forbidden: bool = False
    bot_is_admin: bool = False
    # user id → "creator" or "administrator"; everyone else is a "member"
    admins: dict[int, str] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    sent_times: deque[float] = field(default_factory=deque)

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    @property
    def is_group(self) -> bool:
        return self.chat["type"] in ("group", "supergroup")

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class _Callback:
    chat_id: int | None
    created: float
    answer: JSONDict | None = None


class Params:
    """Decoded parameters of one request plus its file parts."""

    def __init__(self, values: JSONDict, files: Mapping[str, UploadedFile]) -> None:
        self.values = values
        self.files = files

    def get(self, name: str, default: Any = None) -> Any:
        """The decoded value or `default`."""
        return self.values.get(name, default)

    def get_str(self, name: str) -> str | None:
        """A string parameter (None if absent)."""
        value = self.values.get(name)
        return None if value is None else str(value)

    def get_int(self, name: str) -> int | None:
        """An integer parameter (None if absent); 400 if it is not a number."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad_request(f"wrong parameter {name} type")
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"wrong parameter {name} type") from None

    def get_bool(self, name: str) -> bool:
        """A boolean parameter (False if absent)."""
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)


def decode_params(raw: Mapping[str, Any]) -> JSONDict:
    """Decode request parameters the way Telegram reads them (JSON fields, ints, booleans)."""
    out: JSONDict = {}
    for key, value in raw.items():
        if key in _JSON_PARAMS and isinstance(value, str):
            try:
                out[key] = json.loads(value)
            except ValueError:
                what = "reply keyboard markup" if key == "reply_markup" else key
                raise bad_request(f"can't parse {what} JSON object") from None
        elif key in _INT_PARAMS and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            out[key] = int(value)
        elif key in _BOOL_PARAMS and isinstance(value, str):
            out[key] = value.lower() in ("true", "1")
        else:
            out[key] = value
    return out


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


class BotApiState:
    """The emulated Bot API: chats, messages, files, updates and the method handlers."""

    def __init__(
        self,
        token: str,
        *,
        bot_username: str = "hoerclub_test_bot",
        bot_name: str = "Hörclub Test",
        upload_limit: int = MAX_UPLOAD_BYTES,
        download_limit: int = MAX_DOWNLOAD_BYTES,
        privacy_mode: bool = True,
        flood_limits: bool = False,
        callback_timeout: float = CALLBACK_QUERY_TIMEOUT,
        keep_uploads: bool = True,
    ) -> None:
        """Options: privacy_mode withholds plain group messages like Telegram's default;
        flood_limits enforces 30 messages/s overall and 20/min per group with 429s;
        keep_uploads=False forgets uploaded bytes after reading them (sizes, metadata and
        file_ids stay; downloads then return no bytes), for benchmarks with many uploads."""
        if not re.fullmatch(r"\d+:[\w-]+", token):
            raise ValueError("a bot token looks like '123456789:AA...'")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.upload_limit = upload_limit
        self.download_limit = download_limit
        self.privacy_mode = privacy_mode
        self.flood_limits = flood_limits
        self.callback_timeout = callback_timeout
        self.keep_uploads = keep_uploads
        self._lock = threading.RLock()
        self._calls: list[Call] = []
        self._chats: dict[int, _ChatState] = {}
        self._users: dict[int, JSONDict] = {}
        self._files: dict[str, StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._updates: list[JSONDict] = []
        self._next_update_id = 100_001
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._webhook_url = ""
        self._webhook_secret = ""
        self._webhook_deliveries: list[tuple[int, int]] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._descriptions: dict[tuple[str, str], str] = {}
        self._callbacks: dict[str, _Callback] = {}
        self._failures: dict[str, deque[ApiError]] = {}
        self._drops: dict[str, deque[bool]] = {}
        self._stalls: dict[str, deque[float]] = {}
        self._global_sent: deque[float] = deque()
        self._sends: list[tuple[float, int]] = []  # (monotonic time, chat id) of each send
        self._notes: list[str] = []
        self._withheld: list[JSONDict] = []

    # --- hooks for the HTTP side -------------------------------------------------------------

    def _changed(self) -> None:
        """Called after every change of state (the server wakes waiters here)."""

    def _updates_added(self) -> None:
        """Called after an update was queued (the server wakes long polls here)."""

    # --- bot identity ------------------------------------------------------------------------

    @property
    def bot_user(self) -> JSONDict:
        """The bot's User object, as getMe returns it."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _note(self, text: str) -> None:
        logger.info("FakeTelegram: %s", text)
        self._notes.append(text)

    # --- test-side setup ---------------------------------------------------------------------

    def add_chat(
        self,
        chat_id: int,
        chat_type: str = "private",
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str = "Testnutzer",
        bot_is_admin: bool = False,
    ) -> JSONDict:
        """Make a chat known to the bot (Telegram answers "chat not found" otherwise)."""
        with self._lock:
            state = self._chat_state(
                chat_id, chat_type, title=title, username=username, first_name=first_name
            )
            state.bot_is_admin = bot_is_admin
            return copy.deepcopy(state.chat)

    def set_admin(self, chat_id: int, user_id: int, status: str = "administrator") -> None:
        """Make a user an admin ("administrator" or "creator") of a known group, or a plain
        "member" again."""
        with self._lock:
            state = self._chats[chat_id]
            if status == "member":
                state.admins.pop(user_id, None)
            else:
                state.admins[user_id] = status

    def make_admin(self, chat_id: int, user_id: int) -> None:
        """Make a user an administrator of a group (getChatMember answers "administrator")."""
        self.set_admin(chat_id, user_id)

    def block_user(self, chat_id: int, blocked: bool = True) -> None:
        """The user blocks the bot: sends to that chat get 403 "bot was blocked by the user"."""
        with self._lock:
            self._chat_state(chat_id, "private").blocked = blocked

    def forbid_voice_messages(self, chat_id: int, forbidden: bool = True) -> None:
        """The user's privacy settings refuse voice messages (400 VOICE_MESSAGES_FORBIDDEN)."""
        with self._lock:
            self._chat_state(chat_id, "private").voice_forbidden = forbidden

    def fail_next(
        self,
        method: str,
        status: int,
        n: int = 1,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        parameters: JSONDict | None = None,
    ) -> None:
        """Answer the next `n` calls of `method` ("*" for any but getUpdates) with an error.

        429 gets "Too Many Requests: retry after X" and parameters.retry_after (default 1).
        """
        if status == 429:
            seconds = 1 if retry_after is None else retry_after
            error = too_many_requests(seconds)
            if description:
                error = ApiError(429, description, {"retry_after": seconds})
        else:
            default = {
                400: "Bad Request: injected failure",
                401: "Unauthorized",
                403: "Forbidden: bot was blocked by the user",
                404: "Not Found",
                409: POLL_CONFLICT,
                413: "Request Entity Too Large",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }
            error = ApiError(status, description or default.get(status, "Error"), parameters)
        key = "*" if method == "*" else method.lower()
        with self._lock:
            queue = self._failures.setdefault(key, deque())
            queue.extend(error for _ in range(n))

    def drop_next(self, method: str, n: int = 1, *, delivered: bool = True) -> None:
        """Close the connection of the next `n` calls of `method` once their body was read,
        without an answer; with `delivered` the call takes effect first (an upload that
        reached the chat), else it is lost. The bot cannot tell the two apart.
        """
        with self._lock:
            self._drops.setdefault(method.lower(), deque()).extend(delivered for _ in range(n))

    def take_drop(self, method: str) -> bool | None:
        """Whether this call is to be dropped: None if not, else whether it takes effect."""
        with self._lock:
            queue = self._drops.get(method.lower())
            return queue.popleft() if queue else None

    def stall_next(self, method: str, seconds: float, n: int = 1) -> None:
        """Hold the next `n` calls of `method` this long before answering (they then take
        effect), so the bot's read timeout runs out first: a slow or hung Telegram."""
        with self._lock:
            self._stalls.setdefault(method.lower(), deque()).extend(seconds for _ in range(n))

    def take_stall(self, method: str) -> float:
        """How long to hold this call (0 for none)."""
        with self._lock:
            queue = self._stalls.get(method.lower())
            return queue.popleft() if queue else 0.0

    def _take_failure(self, method: str) -> ApiError | None:
        with self._lock:
            for key in (method.lower(), "*"):
                if key == "*" and method == "getUpdates":
                    continue
                queue = self._failures.get(key)
                if queue:
                    return queue.popleft()
        return None

    # --- test-side update injection ----------------------------------------------------------

    def _user(
        self, user_id: int, language_code: str | None, first_name: str | None, username: str | None
    ) -> JSONDict:
        user = self._users.get(user_id) or {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or "Testnutzer",
            "username": username or f"nutzer{user_id}",
        }
        if first_name:
            user["first_name"] = first_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return copy.deepcopy(user)

    def _chat_state(
        self,
        chat_id: int,
        chat_type: str,
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
    ) -> _ChatState:
        state = self._chats.get(chat_id)
        if state is None:
            if chat_type == "private":
                chat: JSONDict = {
                    "id": chat_id,
                    "type": "private",
                    "first_name": first_name or "Testnutzer",
                }
                if username:
                    chat["username"] = username
            else:
                chat = {"id": chat_id, "type": chat_type, "title": title or f"Testgruppe {chat_id}"}
                if username:
                    chat["username"] = username
            state = _ChatState(chat=chat)
            self._chats[chat_id] = state
        return state

    def _queue(self, update: JSONDict) -> JSONDict:
        with self._lock:
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, int(update["update_id"])) + 1
            self._updates.append(update)
        self._updates_added()
        self._changed()
        return copy.deepcopy(update)

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue any update dict as is (update_id is assigned if missing); returns it."""
        update = copy.deepcopy(update)
        with self._lock:
            for key in ("message", "edited_message", "channel_post"):
                message = update.get(key)
                if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                    chat = message["chat"]
                    state = self._chat_state(
                        int(chat["id"]), str(chat.get("type", "private")), title=chat.get("title")
                    )
                    message_id = int(message["message_id"])
                    state.next_message_id = max(state.next_message_id, message_id + 1)
                    if key != "edited_message":
                        state.messages[message_id] = _MessageState(
                            message, from_bot=False, method=None, versions=[message]
                        )
        return self._queue(update)

    def send_text(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        entities: list[JSONDict] | None = None,
        caption: str | None = None,
        forward_from_chat: int | JSONDict | None = None,
        forward_from_message_id: int = 1,
        forward_origin: JSONDict | None = None,
        reply_to_message_id: int | None = None,
        language_code: str = "de",
        first_name: str | None = None,
        username: str | None = None,
        chat_title: str | None = None,
    ) -> JSONDict:
        """A user sends a message to the bot; returns the update (queued unless withheld).

        `entities=None` lets the server detect url/mention/bot_command/hashtag/email entities
        like Telegram does; pass a list (even empty) to set them exactly. With `caption` the
        message is a photo with that caption (and `entities` are its caption_entities).
        `forward_from_chat` (a channel id or Chat dict) makes it a forwarded channel post.
        In groups with privacy mode on, plain messages and mentions are withheld (not queued)
        as Telegram does; commands and replies to the bot get through.
        """
        with self._lock:
            if chat_type == "channel":
                chat = self._chat_state(chat_id, "channel", title=chat_title)
                sender = None
            else:
                uid = (
                    user_id
                    if user_id is not None
                    else (chat_id if chat_type == "private" else 111_111)
                )
                sender = self._user(uid, language_code, first_name, username)
                chat = self._chat_state(
                    chat_id,
                    chat_type,
                    title=chat_title,
                    first_name=sender["first_name"],
                    username=sender.get("username"),
                )
            message: JSONDict = {
                "message_id": chat.take_message_id(),
                "date": int(time.time()),
                "chat": copy.deepcopy(chat.chat),
            }
            if sender is not None:
                message["from"] = sender
            body = caption if caption is not None else (text or "")
            found = detect_entities(body) if entities is None else copy.deepcopy(entities)
            if caption is not None:
                message["photo"] = [
                    {
                        "file_id": new_file_id("photo"),
                        "file_unique_id": new_file_unique_id(),
                        "width": 800,
                        "height": 600,
                        "file_size": 50_000,
                    }
                ]
                message["caption"] = caption
                if found:
                    message["caption_entities"] = found
            else:
                message["text"] = body
                if found:
                    message["entities"] = found
            if forward_origin is not None:
                message["forward_origin"] = copy.deepcopy(forward_origin)
            elif forward_from_chat is not None:
                source = (
                    {
                        "id": forward_from_chat,
                        "type": "channel",
                        "title": f"Kanal {forward_from_chat}",
                    }
                    if isinstance(forward_from_chat, int)
                    else copy.deepcopy(forward_from_chat)
                )
                message["forward_origin"] = {
                    "type": "channel",
                    "chat": source,
                    "message_id": forward_from_message_id,
                    "date": int(time.time()) - 60,
                }
            replied: _MessageState | None = None
            if reply_to_message_id is not None:
                replied = chat.messages.get(reply_to_message_id)
                if replied is None or replied.deleted:
                    raise ValueError(f"no message {reply_to_message_id} in chat {chat_id}")
                message["reply_to_message"] = self._reply_copy(replied.message)
            chat.messages[message["message_id"]] = _MessageState(
                message, from_bot=False, method=None, versions=[message]
            )
            kind = "channel_post" if chat_type == "channel" else "message"
            update = {kind: copy.deepcopy(message)}
            if not self._delivered(chat, message, replied):
                self._withheld.append(update)
                self._note(f"privacy mode withheld a group message: {body[:60]!r}")
                self._changed()
                return copy.deepcopy(update)
        return self._queue(update)

    def send_document(
        self,
        chat_id: int,
        data: bytes,
        *,
        file_name: str,
        mime_type: str | None = "application/pdf",
        caption: str | None = None,
        user_id: int | None = None,
        chat_type: str = "private",
        language_code: str = "de",
    ) -> JSONDict:
        """A user sends a file (as a document) to the bot; returns the queued update.

        The file is stored like an upload, so the bot's getFile and download find it; a file
        over the download limit makes getFile fail as it does at Telegram.
        """
        with self._lock:
            uid = user_id if user_id is not None else chat_id
            sender = self._user(uid, language_code, None, None)
            chat = self._chat_state(chat_id, chat_type, first_name=sender["first_name"])
            document: JSONDict = {
                "file_id": new_file_id("document"),
                "file_unique_id": new_file_unique_id(),
                "file_name": file_name,
                "file_size": len(data),
            }
            if mime_type:
                document["mime_type"] = mime_type
            stored = StoredFile(
                file_id=document["file_id"],
                file_unique_id=document["file_unique_id"],
                kind="document",
                data=data,
                file_name=file_name,
                mime_type=mime_type,
                file_path=f"documents/{document['file_unique_id']}.bin",
                obj=document,
            )
            self._files[stored.file_id] = stored
            message: JSONDict = {
                "message_id": chat.take_message_id(),
                "date": int(time.time()),
                "chat": copy.deepcopy(chat.chat),
                "from": sender,
                "document": document,
            }
            if caption is not None:
                message["caption"] = caption
                found = detect_entities(caption)
                if found:
                    message["caption_entities"] = found
            chat.messages[message["message_id"]] = _MessageState(
                message, from_bot=False, method=None, versions=[message]
            )
            update = {"message": copy.deepcopy(message)}
        return self._queue(update)

    def _delivered(
        self, chat: _ChatState, message: JSONDict, replied: _MessageState | None
    ) -> bool:
        if not chat.is_group or not self.privacy_mode or chat.bot_is_admin:
            return True
        if replied is not None and replied.from_bot:
            return True
        body = message.get("text") or message.get("caption") or ""
        match = re.match(r"/[A-Za-z0-9_]+(?:@([A-Za-z0-9_]+))?", body)
        if match is None:
            return False
        addressee = match.group(1)
        return addressee is None or addressee.lower() == self.bot_username.lower()

    def edit_text(self, chat_id: int, message_id: int, text: str) -> JSONDict:
        """The user edits an earlier message; queues an edited_message update."""
        with self._lock:
            state = self._chats[chat_id].messages[message_id]
            if state.from_bot:
                raise ValueError("users cannot edit the bot's messages")
            new = dict(state.message, text=text, edit_date=int(time.time()))
            new.pop("entities", None)
            found = detect_entities(text)
            if found:
                new["entities"] = found
            state.message = new
            state.versions.append(new)
            update = {"edited_message": copy.deepcopy(new)}
        return self._queue(update)

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        language_code: str = "de",
        forged: bool = False,
    ) -> JSONDict:
        """A user presses the inline button with callback_data `data`; returns the update.

        Refuses (ValueError) when the message has no such button, since no real user could;
        `forged=True` sends it anyway, as a modified client can.
        """
        with self._lock:
            chat = self._chats.get(chat_id)
            state = None if chat is None else chat.messages.get(message_id)
            if chat is None or state is None or state.deleted or not state.from_bot:
                raise ValueError(f"the bot has no message {message_id} in chat {chat_id}")
            markup = state.message.get("reply_markup") or {}
            datas = [
                b.get("callback_data") for row in markup.get("inline_keyboard", []) for b in row
            ]
            if data not in datas and not forged:
                raise ValueError(f"message {message_id} has no button {data!r}; it has {datas}")
            uid = user_id if user_id is not None else chat_id
            query_id = str(secrets.randbits(62))
            self._callbacks[query_id] = _Callback(chat_id=chat_id, created=time.monotonic())
            update = {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(uid, language_code, None, None),
                    "message": copy.deepcopy(state.message),
                    "chat_instance": str(abs(hash((self.bot_id, chat_id)))),
                    "data": data,
                }
            }
        return self._queue(update)

    # --- inspection --------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every request so far, in order of completion."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """The requests of one method (case-insensitive)."""
        with self._lock:
            return [c for c in self._calls if c.method.lower() == method.lower()]

    def _snapshot(self, chat_id: int, state: _MessageState) -> SentMessage:
        return SentMessage(
            chat_id=chat_id,
            message_id=int(state.message["message_id"]),
            from_bot=state.from_bot,
            method=state.method,
            message=copy.deepcopy(state.message),
            versions=tuple(copy.deepcopy(state.versions)),
            deleted=state.deleted,
            reactions=tuple(copy.deepcopy(state.reactions)),
        )

    def sent(self, chat_id: int, *, include_deleted: bool = True) -> list[SentMessage]:
        """Messages the bot sent to a chat, oldest first."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None:
                return []
            return [
                self._snapshot(chat_id, s)
                for s in chat.messages.values()
                if s.from_bot and (include_deleted or not s.deleted)
            ]

    def history(self, chat_id: int) -> list[SentMessage]:
        """All messages of a chat, the users' and the bot's, oldest first."""
        with self._lock:
            chat = self._chats.get(chat_id)
            return (
                [] if chat is None else [self._snapshot(chat_id, s) for s in chat.messages.values()]
            )

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """One message of a chat."""
        with self._lock:
            return self._snapshot(chat_id, self._chats[chat_id].messages[message_id])

    @property
    def uploads(self) -> dict[str, bytes]:
        """file_id → bytes of every file uploaded (audio, voice, document, photo, thumbnail)."""
        with self._lock:
            return {fid: f.data for fid, f in self._files.items()}

    @property
    def files(self) -> dict[str, StoredFile]:
        """file_id → stored file with its Telegram object."""
        with self._lock:
            return dict(self._files)

    @property
    def commands(self) -> dict[str, list[JSONDict]]:
        """setMyCommands of the default scope, keyed by language_code ("" = all languages)."""
        with self._lock:
            return {
                lang: copy.deepcopy(cmds)
                for (scope, lang), cmds in self._commands.items()
                if scope == '{"type": "default"}'
            }

    def commands_for(
        self, language_code: str = "", scope: JSONDict | None = None
    ) -> list[JSONDict]:
        """setMyCommands stored for one scope and language (exactly, no fallback)."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True)
        with self._lock:
            return copy.deepcopy(self._commands.get((key, language_code), []))

    @property
    def callback_answers(self) -> dict[str, JSONDict | None]:
        """callback query id → answerCallbackQuery params (None while unanswered)."""
        with self._lock:
            return {qid: copy.deepcopy(cb.answer) for qid, cb in self._callbacks.items()}

    def chat_actions(self, chat_id: int) -> list[str]:
        """sendChatAction actions sent to a chat."""
        with self._lock:
            chat = self._chats.get(chat_id)
            return [] if chat is None else list(chat.actions)

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        with self._lock:
            return len(self._updates)

    @property
    def withheld_updates(self) -> list[JSONDict]:
        """Group messages that privacy mode kept from the bot."""
        with self._lock:
            return copy.deepcopy(self._withheld)

    @property
    def notes(self) -> list[str]:
        """What the server silently did (ignored thumbnails, sent-as-document, withheld ...)."""
        with self._lock:
            return list(self._notes)

    # --- request handling --------------------------------------------------------------------

    def take_updates(self, values: JSONDict) -> list[JSONDict]:
        """The getUpdates answer for these params right now (confirms by offset)."""
        params = Params(values, {})
        offset = params.get_int("offset")
        limit = params.get_int("limit")
        limit = 100 if limit is None else min(max(limit, 1), 100)
        allowed = params.get("allowed_updates")
        with self._lock:
            if allowed is not None:
                if not isinstance(allowed, list):
                    raise bad_request("can't parse allowed_updates JSON object")
                self._allowed_updates = (
                    frozenset(str(a) for a in allowed) if allowed else DEFAULT_UPDATE_TYPES
                )
            if offset is not None:
                if offset < 0:
                    del self._updates[: max(len(self._updates) + offset, 0)]
                else:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
            # Telegram does not keep updates of types the bot did not ask for.
            self._updates = [
                u
                for u in self._updates
                if any(key in self._allowed_updates for key in u if key != "update_id")
            ]
            return copy.deepcopy(self._updates[:limit])

    def check_webhook(self) -> None:
        """409 if a webhook is set (getUpdates is refused then)."""
        with self._lock:
            if self._webhook_url:
                raise ApiError(409, WEBHOOK_CONFLICT)

    def run_method(
        self, method: str, values: JSONDict, files: Mapping[str, UploadedFile]
    ) -> tuple[int, JSONDict]:
        """Run one (non-getUpdates) method and record its Call in one step.

        Returns (HTTP status, JSON body). The change and its Call become visible together,
        so a test woken by a new message also finds the call that made it.
        """
        handler = getattr(self, f"_api_{method}")
        with self._lock:
            try:
                result = handler(Params(values, files))
            except ApiError as error:
                outcome = self._outcome(method, values, files, error=error)
            else:
                outcome = self._outcome(method, values, files, result=result)
        self._changed()
        return outcome

    def record_outcome(
        self,
        method: str,
        values: JSONDict,
        files: Mapping[str, UploadedFile],
        *,
        result: Any = None,
        error: ApiError | None = None,
    ) -> tuple[int, JSONDict]:
        """Record a call answered outside run_method (getUpdates, early errors)."""
        with self._lock:
            outcome = self._outcome(method, values, files, result=result, error=error)
        self._changed()
        return outcome

    def _outcome(
        self,
        method: str,
        values: JSONDict,
        files: Mapping[str, UploadedFile],
        *,
        result: Any = None,
        error: ApiError | None = None,
    ) -> tuple[int, JSONDict]:
        if error is not None:
            status, body = error.status, error.body()
            logger.debug("FakeTelegram %s -> %s %s", method, status, error.description)
        else:
            status, body = 200, {"ok": True, "result": result}
        kept = {
            name: upload if self.keep_uploads else dataclasses.replace(upload, data=b"")
            for name, upload in files.items()
        }
        self._calls.append(
            Call(
                method=method,
                params=values,
                files=kept,
                status=status,
                result=result,
                description=body.get("description"),
                at=time.time(),
            )
        )
        return status, body

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """The stored file served under /file/bot<token>/<file_path>."""
        with self._lock:
            for stored in self._files.values():
                if stored.file_path == file_path:
                    return stored
        return None

    # --- shared helpers ----------------------------------------------------------------------

    def _chat(self, p: Params, name: str = "chat_id") -> _ChatState:
        value = p.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and value.startswith("@"):
            for candidate in self._chats.values():
                if candidate.chat.get("username", "").lower() == value[1:].lower():
                    return candidate
            raise bad_request("chat not found")
        chat_id = p.get_int(name)
        found = None if chat_id is None else self._chats.get(chat_id)
        if found is None:
            raise bad_request("chat not found")
        return found

    def _target(self, p: Params) -> _ChatState:
        chat = self._chat(p)
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _flood(self, chat: _ChatState) -> None:
        if not self.flood_limits:
            self._sends.append((time.monotonic(), chat.id))
            return
        now = time.monotonic()
        while self._global_sent and now - self._global_sent[0] >= 1.0:
            self._global_sent.popleft()
        if len(self._global_sent) >= GLOBAL_MESSAGES_PER_SECOND:
            raise too_many_requests(max(1, math.ceil(1.0 - (now - self._global_sent[0]))))
        if chat.is_group:
            while chat.sent_times and now - chat.sent_times[0] >= 60.0:
                chat.sent_times.popleft()
            if len(chat.sent_times) >= GROUP_MESSAGES_PER_MINUTE:
                raise too_many_requests(max(1, math.ceil(60.0 - (now - chat.sent_times[0]))))
            chat.sent_times.append(now)
        self._global_sent.append(now)
        self._sends.append((now, chat.id))

    def max_sends(
        self,
        window: float,
        chats: Iterable[int] | None = None,
        *,
        since: float = -math.inf,
        until: float = math.inf,
    ) -> int:
        """The most messages sent or edited (to `chats`, or to any) in one `window`-second
        sliding window between the monotonic times `since` and `until`."""
        wanted = None if chats is None else set(chats)
        with self._lock:
            times = [
                at
                for at, chat in self._sends
                if (wanted is None or chat in wanted) and since <= at < until
            ]
        most, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= window:
                start += 1
            most = max(most, end - start + 1)
        return most

    def _formatted(
        self, p: Params, text_name: str, entities_name: str
    ) -> tuple[str, list[JSONDict]]:
        text = p.get_str(text_name) or ""
        entities = p.get(entities_name)
        parse_mode = p.get_str("parse_mode")
        if entities is not None:
            if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
                raise bad_request(f"can't parse {entities_name} JSON object")
            for item in entities:
                if "type" not in item or "offset" not in item or "length" not in item:
                    raise bad_request(f"can't parse {entities_name} JSON object")
            parsed = (text, copy.deepcopy(entities))
        elif parse_mode:
            parser = PARSE_MODES.get(parse_mode.lower())
            if parser is None:
                raise bad_request("unsupported parse_mode")
            try:
                parsed = parser(text)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        else:
            parsed = (text, [])
        return strip_text(*parsed)

    def _reply_markup(self, p: Params) -> tuple[JSONDict | None, JSONDict | None]:
        """(inline keyboard echoed in the Message, any other keyboard kept aside)."""
        markup = p.get("reply_markup")
        if markup is None:
            return None, None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        markup = _without_none(markup)
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request('field "inline_keyboard" must be of type Array')
            for row in rows:
                for button in row:
                    self._check_button(button)
            return markup, None
        if "keyboard" in markup or markup.get("remove_keyboard") or markup.get("force_reply"):
            return None, markup
        raise bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request("can't parse inline keyboard button: Text must be a String")
        actions = [name for name in _BUTTON_ACTIONS if name in button]
        if not actions:
            raise bad_request("text buttons are unallowed in the inline keyboard")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in button and not re.match(r"(?i)(https?|tg|ton)://\S+$", str(button["url"])):
            raise bad_request("BUTTON_URL_INVALID")

    def _reply_to(self, p: Params, chat: _ChatState) -> JSONDict | None:
        params = p.get("reply_parameters")
        allow = p.get_bool("allow_sending_without_reply")
        message_id: int | None = None
        if isinstance(params, dict):
            message_id = int(params["message_id"]) if "message_id" in params else None
            allow = allow or bool(params.get("allow_sending_without_reply"))
            if params.get("chat_id") not in (None, chat.id):
                raise bad_request("message to be replied not found")
        elif params is not None:
            raise bad_request("can't parse reply parameters JSON object")
        else:
            message_id = p.get_int("reply_to_message_id")
        if message_id is None:
            return None
        target = chat.messages.get(message_id)
        if target is None or target.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return self._reply_copy(target.message)

    @staticmethod
    def _reply_copy(message: JSONDict) -> JSONDict:
        reply = copy.deepcopy(message)
        reply.pop("reply_to_message", None)
        return reply

    def _store_message(
        self, chat: _ChatState, method: str, content: JSONDict, p: Params
    ) -> JSONDict:
        inline, other = self._reply_markup(p)
        reply = self._reply_to(p, chat)
        self._flood(chat)
        message: JSONDict = {
            "message_id": chat.take_message_id(),
            "from": self.bot_user,
            "chat": copy.deepcopy(chat.chat),
            "date": int(time.time()),
        }
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        if inline is not None:
            message["reply_markup"] = inline
        if p.get_bool("protect_content"):
            message["has_protected_content"] = True
        chat.messages[message["message_id"]] = _MessageState(
            message, from_bot=True, method=method, versions=[message], reply_keyboard=other
        )
        return copy.deepcopy(message)

    def _caption(self, p: Params) -> JSONDict:
        caption, entities = self._formatted(p, "caption", "caption_entities")
        if len(caption) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        content: JSONDict = {}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return content

    def _input_file(self, p: Params, name: str) -> UploadedFile | StoredFile:
        upload = p.files.get(name)
        raw = p.get(name)
        if upload is None and isinstance(raw, str) and raw.startswith("attach://"):
            upload = p.files.get(raw.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f'can\'t find attached file "{raw.removeprefix("attach://")}"')
        if upload is not None:
            return upload
        if raw is None or raw == "":
            raise bad_request(f"there is no {name} in the request")
        if not isinstance(raw, str):
            raise bad_request(f"wrong type of the {name} parameter")
        if re.match(r"(?i)https?://", raw):
            raise bad_request("failed to get HTTP URL content")
        stored = self._files.get(raw)
        if stored is None:
            raise bad_request(WRONG_FILE_ID.removeprefix("Bad Request: "))
        return stored

    def _new_file(
        self, kind: str, upload: UploadedFile, obj: JSONDict, fmt: str | None
    ) -> StoredFile:
        number = next(self._file_counter)
        folders = {
            "audio": "music",
            "voice": "voice",
            "document": "documents",
            "photo": "photos",
            "thumbnail": "thumbnails",
        }
        extension = {
            "mp3": "mp3",
            "m4a": "m4a",
            "ogg-opus": "oga",
            "ogg": "ogg",
            "jpeg": "jpg",
            "png": "png",
            "gif": "gif",
            "wav": "wav",
        }.get(fmt or "")
        if extension is None:
            name = upload.filename or ""
            extension = name.rsplit(".", 1)[-1] if "." in name else "bin"
        stored = StoredFile(
            file_id=str(obj["file_id"]),
            file_unique_id=str(obj["file_unique_id"]),
            kind=kind,
            data=upload.data if self.keep_uploads else b"",
            file_name=upload.filename,
            mime_type=obj.get("mime_type"),
            file_path=f"{folders[kind]}/file_{number}.{extension}",
            obj=obj,
        )
        self._files[stored.file_id] = stored
        return stored

    def _check_size(self, upload: UploadedFile) -> None:
        if upload.size > self.upload_limit:
            raise ApiError(413, "Request Entity Too Large")

    @staticmethod
    def _thumbnail_upload(p: Params) -> UploadedFile | None:
        """The uploaded thumbnail: a part named "thumbnail" or the one "attach://<name>" names.

        python-telegram-bot sends thumbnails the second way.
        """
        upload = p.files.get("thumbnail")
        raw = p.get("thumbnail")
        if upload is None and isinstance(raw, str) and raw.startswith("attach://"):
            upload = p.files.get(raw.removeprefix("attach://"))
        return upload

    def _thumbnail(self, p: Params) -> JSONDict | None:
        upload = self._thumbnail_upload(p)
        if upload is None:
            if p.get("thumbnail"):
                self._note("thumbnail given as file_id/URL ignored: thumbnails must be uploaded")
            return None
        size = image_size(upload.data)
        if sniff_format(upload.data) != "jpeg" or size is None:
            self._note("thumbnail ignored: not a JPEG")
            return None
        if upload.size >= MAX_THUMBNAIL_BYTES or max(size) > MAX_THUMBNAIL_SIDE:
            self._note(
                f"thumbnail ignored: {upload.size} bytes, {size[0]}x{size[1]} px "
                f"(limit: under 200 kB, at most 320 px)"
            )
            return None
        obj = {
            "file_id": new_file_id("thumbnail"),
            "file_unique_id": new_file_unique_id(),
            "file_size": upload.size,
            "width": size[0],
            "height": size[1],
        }
        self._new_file("thumbnail", upload, obj, "jpeg")
        return copy.deepcopy(obj)

    def _document_obj(self, upload: UploadedFile, fmt: str | None, p: Params) -> JSONDict:
        obj: JSONDict = {"file_id": new_file_id("document"), "file_unique_id": new_file_unique_id()}
        if upload.filename:
            obj["file_name"] = upload.filename
        mime = MIME_BY_FORMAT.get(fmt or "") or upload.content_type or "application/octet-stream"
        obj["mime_type"] = mime
        obj["file_size"] = upload.size
        thumbnail = self._thumbnail(p)
        if thumbnail is not None:
            obj["thumbnail"] = thumbnail
        self._new_file("document", upload, obj, fmt)
        return copy.deepcopy(obj)

    def _media(self, p: Params, kind: str) -> tuple[str, Any]:
        """(message field, Telegram object) for the file in parameter `kind`."""
        source = self._input_file(p, kind)
        if isinstance(source, StoredFile):
            if source.kind != kind:
                raise bad_request("type of file mismatch")
            if self._thumbnail_upload(p) is not None:
                self._note("thumbnail ignored: the file was sent by file_id")
            return kind, copy.deepcopy(source.obj)
        self._check_size(source)
        fmt = sniff_format(source.data)
        accepted = {"audio": ("mp3", "m4a"), "voice": ("ogg-opus", "mp3", "m4a")}
        if kind in accepted and fmt not in accepted[kind]:
            self._note(f"{kind} upload of format {fmt or 'unknown'} sent as a document instead")
            return "document", self._document_obj(source, fmt, p)
        if kind == "document":
            return kind, self._document_obj(source, fmt, p)
        if kind == "photo":
            return kind, self._photo_obj(source)
        info = audio_info(source.data)
        given = p.get_int("duration")
        obj: JSONDict = {
            "file_id": new_file_id(kind),
            "file_unique_id": new_file_unique_id(),
            "duration": given if given is not None else (info.duration or 0),
        }
        if kind == "audio":
            performer = p.get_str("performer") or info.performer
            title = p.get_str("title") or info.title
            if performer:
                obj["performer"] = performer
            if title:
                obj["title"] = title
            if source.filename:
                obj["file_name"] = source.filename
        obj["mime_type"] = MIME_BY_FORMAT[fmt or "mp3"]
        obj["file_size"] = source.size
        if kind == "audio":
            thumbnail = self._thumbnail(p)
            if thumbnail is not None:
                obj["thumbnail"] = thumbnail
        self._new_file(kind, source, obj, fmt)
        return kind, copy.deepcopy(obj)

    def _photo_obj(self, upload: UploadedFile) -> list[JSONDict]:
        size = image_size(upload.data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        sizes = []
        if max(size) > 90:
            scale = 90 / max(size)
            sizes.append((max(1, round(width * scale)), max(1, round(height * scale))))
        sizes.append((width, height))
        fmt = sniff_format(upload.data)
        unique = new_file_unique_id()
        objs = [
            {
                "file_id": new_file_id("photo"),
                "file_unique_id": f"{unique}{i}",
                "file_size": upload.size,
                "width": w,
                "height": h,
            }
            for i, (w, h) in enumerate(sizes)
        ]
        for obj in objs:
            stored = self._new_file("photo", upload, obj, fmt)
            self._files[stored.file_id] = dataclasses.replace(stored, obj=objs)
        return copy.deepcopy(objs)

    def _editable(self, p: Params) -> tuple[_ChatState, _MessageState]:
        if p.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._target(p)
        message_id = p.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        state = chat.messages.get(message_id)
        if state is None or state.deleted:
            raise bad_request("message to edit not found")
        if not state.from_bot:
            raise bad_request("message can't be edited")
        return chat, state

    def _apply_edit(self, chat: _ChatState, state: _MessageState, new: JSONDict) -> JSONDict:
        keys = ("text", "entities", "caption", "caption_entities", "reply_markup")
        if all(new.get(k) == state.message.get(k) for k in keys):
            raise ApiError(400, NOT_MODIFIED)
        self._flood(chat)
        new["edit_date"] = int(time.time())
        state.message = new
        state.versions.append(new)
        return copy.deepcopy(new)

    @staticmethod
    def _set(message: JSONDict, key: str, value: Any) -> None:
        if value:
            message[key] = value
        else:
            message.pop(key, None)

    # --- methods -----------------------------------------------------------------------------

    def _api_getMe(self, p: Params) -> JSONDict:
        return self.bot_user

    def _api_logOut(self, p: Params) -> bool:
        return True

    def _api_close(self, p: Params) -> bool:
        return True

    def _api_setWebhook(self, p: Params) -> bool:
        url = p.get_str("url") or ""
        # Tests have no TLS: plain HTTP to the loopback interface stands in for HTTPS.
        if url and not url.lower().startswith("https://") and not _LOOPBACK_HTTP.match(url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get_str("secret_token") or ""
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("bad webhook: secret token contains unallowed characters")
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = (
                frozenset(str(a) for a in allowed) if allowed else DEFAULT_UPDATE_TYPES
            )
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        self._webhook_url = url
        self._webhook_secret = secret
        self._updates_added()  # queued updates now go to the webhook
        return True

    def _api_deleteWebhook(self, p: Params) -> bool:
        self._webhook_url = ""
        self._webhook_secret = ""
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        return True

    def _api_getWebhookInfo(self, p: Params) -> JSONDict:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
            "allowed_updates": sorted(self._allowed_updates),
        }

    # --- webhook delivery (the HTTP side POSTs, this side keeps the books) ---------------------

    @property
    def webhook(self) -> tuple[str, str]:
        """The webhook URL and secret token set by setWebhook ("" when none)."""
        with self._lock:
            return self._webhook_url, self._webhook_secret

    @property
    def webhook_deliveries(self) -> list[tuple[int, int]]:
        """Every webhook POST so far: (update_id, HTTP status, 0 when no answer)."""
        with self._lock:
            return list(self._webhook_deliveries)

    def next_webhook_update(self) -> tuple[str, str, JSONDict] | None:
        """The oldest update to POST to the webhook now (URL, secret, update), if any."""
        with self._lock:
            if not self._webhook_url:
                return None
            for update in self._updates:
                if any(key in self._allowed_updates for key in update if key != "update_id"):
                    return self._webhook_url, self._webhook_secret, copy.deepcopy(update)
            self._updates.clear()  # only updates of types the bot did not ask for
            return None

    def webhook_answered(self, update_id: int, status: int) -> None:
        """Record a webhook POST's outcome; a 2xx answer confirms the update (like an offset)."""
        with self._lock:
            self._webhook_deliveries.append((update_id, status))
            if 200 <= status < 300:
                self._updates = [u for u in self._updates if u["update_id"] != update_id]
        self._changed()

    def _scope_key(self, p: Params) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        types = {
            "default",
            "all_private_chats",
            "all_group_chats",
            "all_chat_administrators",
            "chat",
            "chat_administrators",
            "chat_member",
        }
        if not isinstance(scope, dict) or scope.get("type") not in types:
            raise bad_request("can't parse BotCommandScope JSON object")
        if scope["type"].startswith("chat") and "chat_id" not in scope:
            raise bad_request("chat_id is empty")
        language = p.get_str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language

    def _api_setMyCommands(self, p: Params) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        cleaned = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command = item.get("command")
            description = item.get("description")
            if not isinstance(command, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", command):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": command, "description": description})
        self._commands[self._scope_key(p)] = cleaned
        return True

    def _api_getMyCommands(self, p: Params) -> list[JSONDict]:
        return copy.deepcopy(self._commands.get(self._scope_key(p), []))

    def _api_deleteMyCommands(self, p: Params) -> bool:
        self._commands.pop(self._scope_key(p), None)
        return True

    def _api_setMyDescription(self, p: Params) -> bool:
        description = p.get_str("description") or ""
        if len(description) > 512:
            raise bad_request("description is too long")
        self._descriptions[("description", p.get_str("language_code") or "")] = description
        return True

    def _api_getMyDescription(self, p: Params) -> JSONDict:
        key = ("description", p.get_str("language_code") or "")
        return {"description": self._descriptions.get(key, "")}

    def _api_setMyShortDescription(self, p: Params) -> bool:
        description = p.get_str("short_description") or ""
        if len(description) > 120:
            raise bad_request("short description is too long")
        self._descriptions[("short", p.get_str("language_code") or "")] = description
        return True

    def _api_getMyShortDescription(self, p: Params) -> JSONDict:
        key = ("short", p.get_str("language_code") or "")
        return {"short_description": self._descriptions.get(key, "")}

    def _api_getChat(self, p: Params) -> JSONDict:
        chat = self._chat(p)
        info = copy.deepcopy(chat.chat)
        info.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        return info

    def _api_getChatMember(self, p: Params) -> JSONDict:
        chat = self._chat(p)
        user_id = p.get_int("user_id")
        if user_id is None:
            raise bad_request("user_id is empty")
        user = self._user(user_id, None, None, None)
        status = chat.admins.get(user_id, "creator" if not chat.is_group else "member")
        member: JSONDict = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            rights = [
                "can_be_edited",
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            ]
            member |= dict.fromkeys(rights, False) | {"can_manage_chat": True}
            member["is_anonymous"] = False
        return member

    def _api_sendMessage(self, p: Params) -> JSONDict:
        chat = self._target(p)
        if p.get("text") is None:
            raise bad_request("message text is empty")
        text, entities = self._formatted(p, "text", "entities")
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        options = p.get("link_preview_options")
        if isinstance(options, dict) and options:
            content["link_preview_options"] = options
        return self._store_message(chat, "sendMessage", content, p)

    def _send_media(self, p: Params, method: str, kind: str) -> JSONDict:
        chat = self._target(p)
        if kind == "voice" and chat.voice_forbidden:
            raise bad_request("VOICE_MESSAGES_FORBIDDEN")
        caption = self._caption(p)
        field_name, obj = self._media(p, kind)
        return self._store_message(chat, method, {field_name: obj, **caption}, p)

    def _api_sendAudio(self, p: Params) -> JSONDict:
        return self._send_media(p, "sendAudio", "audio")

    def _api_sendVoice(self, p: Params) -> JSONDict:
        return self._send_media(p, "sendVoice", "voice")

    def _api_sendDocument(self, p: Params) -> JSONDict:
        return self._send_media(p, "sendDocument", "document")

    def _api_sendPhoto(self, p: Params) -> JSONDict:
        return self._send_media(p, "sendPhoto", "photo")

    def _api_editMessageText(self, p: Params) -> JSONDict:
        chat, state = self._editable(p)
        if "text" not in state.message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._formatted(p, "text", "entities")
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        inline, _ = self._reply_markup(p)
        new = dict(state.message, text=text)
        self._set(new, "entities", entities)
        self._set(new, "reply_markup", inline)  # omitting reply_markup removes the keyboard
        return self._apply_edit(chat, state, new)

    def _api_editMessageCaption(self, p: Params) -> JSONDict:
        chat, state = self._editable(p)
        if "text" in state.message:
            raise bad_request("there is no caption in the message to edit")
        caption = self._caption(p)
        inline, _ = self._reply_markup(p)
        new = dict(state.message)
        self._set(new, "caption", caption.get("caption"))
        self._set(new, "caption_entities", caption.get("caption_entities"))
        self._set(new, "reply_markup", inline)
        return self._apply_edit(chat, state, new)

    def _api_editMessageReplyMarkup(self, p: Params) -> JSONDict:
        chat, state = self._editable(p)
        inline, _ = self._reply_markup(p)
        new = dict(state.message)
        self._set(new, "reply_markup", inline)
        return self._apply_edit(chat, state, new)

    def _delete(self, chat: _ChatState, message_id: int) -> None:
        state = chat.messages.get(message_id)
        if state is None or state.deleted:
            raise bad_request("message to delete not found")
        if not state.from_bot and chat.chat["type"] != "private" and not chat.bot_is_admin:
            raise bad_request("message can't be deleted")
        state.deleted = True

    def _api_deleteMessage(self, p: Params) -> bool:
        chat = self._chat(p)
        message_id = p.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        self._delete(chat, message_id)
        return True

    def _api_deleteMessages(self, p: Params) -> bool:
        chat = self._chat(p)
        ids = p.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 message identifiers")
        for message_id in ids:
            try:
                self._delete(chat, int(message_id))
            except ApiError:
                continue  # "messages that can't be found are skipped"
        return True

    def _api_answerCallbackQuery(self, p: Params) -> bool:
        query_id = p.get_str("callback_query_id") or ""
        callback = self._callbacks.get(query_id)
        if (
            callback is None
            or callback.answer is not None
            or time.monotonic() - callback.created > self.callback_timeout
        ):
            raise bad_request(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        text = p.get_str("text") or ""
        if len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        callback.answer = dict(p.values)
        return True

    def _api_sendChatAction(self, p: Params) -> bool:
        chat = self._target(p)
        action = p.get_str("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.actions.append(action)
        return True

    def _api_setMessageReaction(self, p: Params) -> bool:
        chat = self._chat(p)
        message_id = p.get_int("message_id")
        state = None if message_id is None else chat.messages.get(message_id)
        if state is None or state.deleted:
            raise bad_request("message to react not found")
        reaction = p.get("reaction") or []
        if not isinstance(reaction, list):
            raise bad_request("can't parse reaction JSON object")
        if len(reaction) > 1:
            raise bad_request("REACTIONS_TOO_MANY")
        for item in reaction:
            if not isinstance(item, dict) or item.get("type") not in ("emoji", "custom_emoji"):
                raise bad_request("can't parse ReactionType JSON object")
            if item["type"] == "emoji" and item.get("emoji") not in REACTION_EMOJI:
                raise bad_request("REACTION_INVALID")
        state.reactions = copy.deepcopy(reaction)
        return True

    def _api_getFile(self, p: Params) -> JSONDict:
        stored = self._files.get(p.get_str("file_id") or "")
        if stored is None:
            raise bad_request(WRONG_FILE_ID.removeprefix("Bad Request: "))
        if len(stored.data) > self.download_limit:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


def implemented_methods() -> dict[str, str]:
    """lower-case method name → Telegram's spelling, for every method the fake emulates."""
    names = [name.removeprefix("_api_") for name in dir(BotApiState) if name.startswith("_api_")]
    return {name.lower(): name for name in [*names, "getUpdates"]}


def real_methods() -> frozenset[str]:
    """lower-case names of every Bot API method python-telegram-bot knows."""
    try:
        from telegram import Bot
    except ImportError:  # pragma: no cover
        return frozenset()
    return frozenset(
        name.lower()
        for name in dir(Bot)
        if re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+", name) and callable(getattr(Bot, name))
    )
