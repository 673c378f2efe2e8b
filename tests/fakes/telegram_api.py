"""A small fake of the Telegram Bot API for tests: the methods Guyub calls, no more.

getMe, getUpdates, setWebhook/deleteWebhook, setMyCommands, sendMessage, sendPhoto,
sendMediaGroup (photos), sendDocument (uploads, for the DATAKU export), answerCallbackQuery,
getFile and file downloads; any other method
answers 404 "method not found", as Telegram does for an unknown one, so a new call in
production code shows up as a failing test until the fake learns it.

It is a real aiohttp server on 127.0.0.1, so the real ``telegram.ext.Application`` (PTB 22)
talks to it over HTTP exactly as it would to ``api.telegram.org``::

    async with FakeTelegramAPI() as api:
        app = (
            Application.builder()
            .token(TOKEN)
            .base_url(api.base_url)
            .base_file_url(api.base_file_url)
            .build()
        )

Requests are answered with real Bot API JSON (``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": ..., "description": ...}`` with the same HTTP status), so PTB
raises its real exceptions (``RetryAfter``, ``Forbidden``, ``BadRequest``, ...).

PTB sends every parameter as a form field (``application/x-www-form-urlencoded``, or
``multipart/form-data`` when uploading), with non-string values JSON-encoded
(``chat_id="42"``, ``reply_markup='{"inline_keyboard": ...}'``); the fake decodes them back.
JSON bodies (``application/json``) are accepted too.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from multidict import MultiDictProxy

JSONDict = dict[str, Any]

BOT_ID = 7000000001
BOT_USERNAME = "GuyubTestBot"
BOT_FIRST_NAME = "Guyub"

MSG_TOO_MANY_REQUESTS = "Too Many Requests: retry after {retry_after}"
MSG_BLOCKED = "Forbidden: bot was blocked by the user"
MSG_KICKED = "Forbidden: bot was kicked from the group chat"
MSG_CHAT_NOT_FOUND = "Bad Request: chat not found"
MSG_METHOD_NOT_FOUND = "Not Found: method not found"
MSG_INVALID_FILE_ID = "Bad Request: invalid file_id"
MSG_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

_DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: MSG_CHAT_NOT_FOUND,
    401: "Unauthorized",
    403: MSG_BLOCKED,
    404: MSG_METHOD_NOT_FOUND,
    409: MSG_WEBHOOK_CONFLICT,
    502: "Bad Gateway",
}

# Parameters whose (form) value is a plain string and must not be JSON-decoded.
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "ip_address",
        "file_id",
        "photo",
        "language_code",
    }
)

# PhotoSize (width, height) ladders: smallest first, largest last (as Telegram sends them).
_PHOTO_SIZES: tuple[tuple[int, int], ...] = ((90, 67), (320, 240), (800, 600), (1280, 960))


class BotAPIError(Exception):
    """Raise from a custom handler (``set_handler``) to answer with a Bot API error."""

    def __init__(
        self, error_code: int, description: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> JSONDict:
        """The Bot API error body."""
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


@dataclass
class Call:
    """One request the fake answered (or is answering, for a pending long poll)."""

    method: str
    params: JSONDict
    files: dict[str, bytes] = field(default_factory=dict)
    file_names: dict[str, str] = field(default_factory=dict)
    http_method: str = "POST"
    response: JSONDict | None = None

    @property
    def ok(self) -> bool | None:
        """True/False once answered; None while a long poll is still pending."""
        return None if self.response is None else bool(self.response.get("ok"))

    @property
    def error_code(self) -> int | None:
        """The error code answered, if the call failed."""
        return None if self.response is None else self.response.get("error_code")

    @property
    def result(self) -> Any:
        """The ``result`` answered (None for errors and pending calls)."""
        return None if self.response is None else self.response.get("result")

    @property
    def chat_id(self) -> int | str | None:
        """The decoded ``chat_id`` parameter, if any."""
        return self.params.get("chat_id")

    def file(self, name: str) -> bytes | str | None:
        """Uploaded bytes for parameter ``name`` (also via ``attach://``), else its string."""
        if name in self.files:
            return self.files[name]
        return self.resolve(self.params.get(name))

    def resolve(self, value: Any) -> Any:
        """Turn an ``attach://<name>`` reference into the uploaded bytes; else return value."""
        if isinstance(value, str) and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return value

    def media(self) -> list[bytes | str | None]:
        """For sendMediaGroup: each item's media, as uploaded bytes or file_id/URL string."""
        return [self.resolve(item.get("media")) for item in self.params.get("media") or []]


@dataclass
class _Failure:
    method: str
    error_code: int
    description: str
    retry_after: float | None
    times: int
    chat_id: int | str | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


Handler = Callable[[Call], Any | Awaitable[Any]]


def _decode_value(key: str, value: Any) -> Any:
    """Decode one parameter value as PTB would have encoded it."""
    if not isinstance(value, str) or key in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _same_chat(a: Any, b: Any) -> bool:
    return a is not None and b is not None and str(a) == str(b)


def bot_user(*, bot_id: int = BOT_ID, username: str = BOT_USERNAME) -> JSONDict:
    """The bot's User object."""
    return {"id": bot_id, "is_bot": True, "first_name": BOT_FIRST_NAME, "username": username}


def make_user(
    user_id: int,
    *,
    first_name: str = "Siti",
    username: str | None = None,
    language_code: str | None = "id",
) -> JSONDict:
    """A (human) User object."""
    user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username is not None:
        user["username"] = username
    if language_code is not None:
        user["language_code"] = language_code
    return user


def make_chat(chat_id: int | str, chat_type: str | None = None, **extra: Any) -> JSONDict:
    """A Chat object; type defaults to private (id > 0), supergroup (-100...) or group."""
    if isinstance(chat_id, str) and not chat_id.lstrip("-").isdigit():
        username = chat_id.removeprefix("@")
        chat_id = -(1_000_000_000_000 + sum(map(ord, username)))
        chat: JSONDict = {"id": chat_id, "type": chat_type or "channel", "username": username}
        return chat | extra
    chat_id = int(chat_id)
    if chat_type is None:
        if chat_id > 0:
            chat_type = "private"
        elif str(chat_id).startswith("-100"):
            chat_type = "supergroup"
        else:
            chat_type = "group"
    chat = {"id": chat_id, "type": chat_type}
    if chat_type in ("group", "supergroup", "channel"):
        chat["title"] = "Komunitas Guyub"
    return chat | extra


def _command_entities(text: str) -> list[JSONDict]:
    if not text.startswith("/"):
        return []
    length = len(text.split(maxsplit=1)[0])
    return [{"type": "bot_command", "offset": 0, "length": length}]


def _private_or_group_chat(user: JSONDict, chat_id: int | None, chat_type: str) -> JSONDict:
    if chat_type == "private":
        extra = {k: user[k] for k in ("first_name", "username") if k in user}
        return make_chat(user["id"] if chat_id is None else chat_id, "private", **extra)
    if chat_id is None:
        raise ValueError("chat_id is required for non-private chats")
    return make_chat(chat_id, chat_type)


def make_text_update(
    update_id: int,
    user_id: int,
    text: str,
    *,
    first_name: str = "Siti",
    username: str | None = None,
    language_code: str | None = "id",
    chat_id: int | None = None,
    chat_type: str = "private",
    message_id: int | None = None,
    date: int | None = None,
) -> JSONDict:
    """An Update with a text Message; adds a ``bot_command`` entity if text starts with '/'."""
    user = make_user(user_id, first_name=first_name, username=username, language_code=language_code)
    message: JSONDict = {
        "message_id": update_id if message_id is None else message_id,
        "date": int(time.time()) if date is None else date,
        "chat": _private_or_group_chat(user, chat_id, chat_type),
        "from": user,
        "text": text,
    }
    if entities := _command_entities(text):
        message["entities"] = entities
    return {"update_id": update_id, "message": message}


def photo_sizes(file_ids: Sequence[str], *, file_size: int | None = None) -> list[JSONDict]:
    """PhotoSize entries for ``file_ids`` (smallest first, largest last)."""
    sizes = []
    for i, file_id in enumerate(file_ids):
        width, height = _PHOTO_SIZES[min(i, len(_PHOTO_SIZES) - 1)]
        width, height = width * (1 + max(0, i - 3)), height * (1 + max(0, i - 3))
        sizes.append(
            {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "width": width,
                "height": height,
                "file_size": file_size if file_size is not None else width * height // 10,
            }
        )
    return sizes


def make_photo_update(
    update_id: int,
    user_id: int,
    *,
    caption: str | None = None,
    file_ids: Sequence[str] = ("photo-s", "photo-m", "photo-l"),
    first_name: str = "Siti",
    username: str | None = None,
    language_code: str | None = "id",
    chat_id: int | None = None,
    chat_type: str = "private",
    message_id: int | None = None,
    media_group_id: str | None = None,
    date: int | None = None,
) -> JSONDict:
    """An Update with a photo Message (one PhotoSize per file_id, the largest last)."""
    user = make_user(user_id, first_name=first_name, username=username, language_code=language_code)
    message: JSONDict = {
        "message_id": update_id if message_id is None else message_id,
        "date": int(time.time()) if date is None else date,
        "chat": _private_or_group_chat(user, chat_id, chat_type),
        "from": user,
        "photo": photo_sizes(file_ids),
    }
    if caption is not None:
        message["caption"] = caption
        if entities := _command_entities(caption):
            message["caption_entities"] = entities
    if media_group_id is not None:
        message["media_group_id"] = media_group_id
    return {"update_id": update_id, "message": message}


def make_callback_update(
    update_id: int,
    user_id: int,
    data: str,
    *,
    message_id: int = 1,
    message_text: str = "Pilih salah satu:",
    reply_markup: JSONDict | None = None,
    callback_query_id: str | None = None,
    first_name: str = "Siti",
    username: str | None = None,
    language_code: str | None = "id",
    chat_id: int | None = None,
    chat_type: str = "private",
    bot_username: str = BOT_USERNAME,
    date: int | None = None,
) -> JSONDict:
    """An Update with a CallbackQuery pressed on a bot message ``message_id``."""
    user = make_user(user_id, first_name=first_name, username=username, language_code=language_code)
    chat = _private_or_group_chat(user, chat_id, chat_type)
    message: JSONDict = {
        "message_id": message_id,
        "date": int(time.time()) if date is None else date,
        "chat": chat,
        "from": bot_user(username=bot_username),
        "text": message_text,
    }
    if reply_markup is not None:
        message["reply_markup"] = reply_markup
    query: JSONDict = {
        "id": callback_query_id or f"cbq-{update_id}",
        "from": user,
        "chat_instance": f"ci-{chat['id']}",
        "data": data,
        "message": message,
    }
    return {"update_id": update_id, "callback_query": query}


class FakeTelegramAPI:
    """Fake Telegram Bot API server on 127.0.0.1 (use with ``async with``)."""

    def __init__(
        self,
        *,
        bot_username: str = BOT_USERNAME,
        bot_id: int = BOT_ID,
        token: str | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.token = token
        self.host = host
        self.port: int | None = None
        self.calls: list[Call] = []
        self.updates: list[JSONDict] = []
        self.commands: dict[str, list[JSONDict]] = {}
        self.webhook: JSONDict | None = None
        self.files: dict[str, _StoredFile] = {}
        self.blocked_chats: set[str] = set()
        self._failures: list[_Failure] = []
        self._handlers: dict[str, Handler] = {}
        self._ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._calls_event = asyncio.Event()
        self._updates_event = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._builtin: dict[str, Callable[[Call], Any]] = {
            "getme": self._get_me,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "sendmediagroup": self._send_media_group,
            "senddocument": self._send_document,
            "editmessagetext": self._edit_message_text,
            "answercallbackquery": lambda call: True,
            "setmycommands": self._set_my_commands,
            "getfile": self._get_file,
        }

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url`` (PTB appends the token)."""
        return f"http://{self.host}:{self._require_port()}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url`` (PTB appends the token)."""
        return f"http://{self.host}:{self._require_port()}/file/bot"

    def _require_port(self) -> int:
        if self.port is None:
            raise RuntimeError("FakeTelegramAPI is not started")
        return self.port

    async def start(self) -> None:
        """Start serving on a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_download)
        # handler_cancellation: a long poll whose client went away (PTB cancelling getUpdates
        # on Updater.stop()) is cancelled instead of lingering until its timeout.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._closing = False

    async def stop(self) -> None:
        """Answer pending long polls with [] and stop the server."""
        self._closing = True
        self._wake_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------- test helpers

    def calls_to(self, method: str) -> list[Call]:
        """Calls of ``method`` (case-insensitive) in arrival order."""
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until ``method`` was called ``count`` times; return all its calls so far."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    event = self._calls_event
                    found = self.calls_to(method)
                    if len(found) >= count:
                        return found
                    await event.wait()
        except TimeoutError:
            seen = [call.method for call in self.calls]
            raise AssertionError(
                f"{method} called {len(self.calls_to(method))}/{count} times "
                f"within {timeout}s; calls seen: {seen}"
            ) from None

    def push_update(self, update: Mapping[str, Any] | Any) -> int:
        """Queue an incoming Update (dict or PTB object) for getUpdates; return its id."""
        data = dict(update) if isinstance(update, Mapping) else update.to_dict()
        if "update_id" not in data:
            data["update_id"] = max((u["update_id"] for u in self.updates), default=0) + 1
        self.updates.append(data)
        self._wake_pollers()
        return int(data["update_id"])

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by a getUpdates ``offset``."""
        return list(self.updates)

    def add_file(self, file_id: str, data: bytes, *, file_path: str | None = None) -> str:
        """Register a file for getFile/download; return its file_path."""
        path = file_path or f"documents/file_{len(self.files) + 1}_{file_id}"
        self.files[file_id] = _StoredFile(file_id, f"u-{file_id}", path, data)
        return path

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        description: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (for ``chat_id`` if given) fail.

        429 defaults to ``retry_after=2`` (sent as ``parameters.retry_after``); other codes
        send ``parameters`` only if ``retry_after`` is given. The default description is the
        real Bot API text for 429/403 (blocked)/400 (chat not found).
        """
        if error_code == 429 and retry_after is None:
            retry_after = 2
        if description is None:
            if error_code == 429:
                assert retry_after is not None
                shown = int(retry_after) if float(retry_after).is_integer() else retry_after
                description = MSG_TOO_MANY_REQUESTS.format(retry_after=shown)
            else:
                description = _DEFAULT_DESCRIPTIONS.get(error_code, f"Error {error_code}")
        self._failures.append(
            _Failure(method.lower(), error_code, description, retry_after, times, chat_id)
        )

    def block_chat(self, chat_id: int | str) -> None:
        """Every call with this chat_id answers 403 (user blocked the bot / bot kicked)."""
        self.blocked_chats.add(str(chat_id))

    def set_handler(self, method: str, handler: Handler) -> None:
        """Answer ``method`` with ``handler(call)`` (sync or async; raise BotAPIError to fail)."""
        self._handlers[method.lower()] = handler

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """Texts of successful sendMessage calls (optionally to one chat)."""
        return [
            call.params.get("text", "")
            for call in self.calls_to("sendMessage")
            if call.ok and (chat_id is None or _same_chat(call.chat_id, chat_id))
        ]

    # ------------------------------------------------------------------- HTTP

    def _wake_pollers(self) -> None:
        self._updates_event.set()
        self._updates_event = asyncio.Event()

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._calls_event.set()
        self._calls_event = asyncio.Event()

    async def _read_params(
        self, request: web.Request
    ) -> tuple[JSONDict, dict[str, bytes], dict[str, str]]:
        raw: JSONDict = dict(request.query)
        files: dict[str, bytes] = {}
        names: dict[str, str] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    raw.update(body)
            else:
                form: MultiDictProxy[Any] = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = value.file.read()
                        names[key] = value.filename
                    else:
                        raw[key] = value
        params = {key: _decode_value(key, value) for key, value in raw.items()}
        return params, files, names

    async def _handle_method(self, request: web.Request) -> web.Response:
        if self.token is not None and request.match_info["token"] != self.token:
            body = BotAPIError(401, "Unauthorized").to_json()
            return web.json_response(body, status=401)
        params, files, names = await self._read_params(request)
        method = request.match_info["method"]
        call = Call(method, params, files, names, request.method)
        self._record(call)
        try:
            result = await self._dispatch(call)
            response: JSONDict = {"ok": True, "result": result}
        except BotAPIError as err:
            response = err.to_json()
        call.response = response
        status = 200 if response["ok"] else int(response["error_code"])
        return web.json_response(response, status=status)

    async def _handle_download(self, request: web.Request) -> web.Response:
        file_path = request.match_info["file_path"]
        for stored in self.files.values():
            if stored.file_path == file_path:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    def _check_failures(self, call: Call) -> None:
        method = call.method.lower()
        chat_id = call.params.get("chat_id")
        if chat_id is not None and str(chat_id) in self.blocked_chats:
            is_group = str(chat_id).startswith("-")
            raise BotAPIError(403, MSG_KICKED if is_group else MSG_BLOCKED)
        for failure in self._failures:
            if failure.method != method:
                continue
            if failure.chat_id is not None and not _same_chat(failure.chat_id, chat_id):
                continue
            failure.times -= 1
            if failure.times <= 0:
                self._failures.remove(failure)
            raise BotAPIError(
                failure.error_code, failure.description, retry_after=failure.retry_after
            )

    async def _dispatch(self, call: Call) -> Any:
        method = call.method.lower()
        self._check_failures(call)
        if method in self._handlers:
            result = self._handlers[method](call)
            return await result if inspect.isawaitable(result) else result
        if method == "getupdates":
            return await self._get_updates(call)
        if method in self._builtin:
            return self._builtin[method](call)
        raise BotAPIError(404, MSG_METHOD_NOT_FOUND)

    # ---------------------------------------------------------------- methods

    def _get_me(self, call: Call) -> JSONDict:
        return bot_user(bot_id=self.bot_id, username=self.bot_username) | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    async def _get_updates(self, call: Call) -> list[JSONDict]:
        if self.webhook is not None:
            raise BotAPIError(409, MSG_WEBHOOK_CONFLICT)
        offset = call.params.get("offset")
        limit = int(call.params.get("limit") or 100)
        timeout = float(call.params.get("timeout") or 0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if offset is not None:
                self._confirm(int(offset))
            if self.updates or self._closing:
                break
            event = self._updates_event
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                break
        if self._closing:
            return []
        return self.updates[:limit]

    def _set_webhook(self, call: Call) -> bool:
        url = call.params.get("url") or ""
        if call.params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = dict(call.params) if url else None
        return True

    def _delete_webhook(self, call: Call) -> bool:
        if call.params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = None
        return True

    def _new_message(self, call: Call, **content: Any) -> JSONDict:
        chat_id = call.params.get("chat_id")
        if chat_id is None:
            raise BotAPIError(400, "Bad Request: chat_id is empty")
        message: JSONDict = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": make_chat(chat_id),
            "from": bot_user(bot_id=self.bot_id, username=self.bot_username),
        }
        thread_id = call.params.get("message_thread_id")
        if thread_id is not None:
            message["message_thread_id"] = thread_id
        message.update({key: value for key, value in content.items() if value is not None})
        markup = call.params.get("reply_markup")
        # Message.reply_markup can only be an InlineKeyboardMarkup.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _send_message(self, call: Call) -> JSONDict:
        text = call.params.get("text")
        if not text:
            raise BotAPIError(400, "Bad Request: message text is empty")
        return self._new_message(call, text=text, entities=call.params.get("entities"))

    def _edit_message_text(self, call: Call) -> JSONDict:
        """The edited message, as Telegram returns it (same id, new text)."""
        text = call.params.get("text")
        if not text:
            raise BotAPIError(400, "Bad Request: message text is empty")
        message = self._new_message(call, text=text)
        message["message_id"] = int(call.params.get("message_id") or 0)
        message["edit_date"] = int(time.time())
        return message

    def _store_upload(self, media: bytes | str | None) -> bytes:
        """Bytes behind an uploaded file or a known file_id (b'' for URLs/unknown ids)."""
        if isinstance(media, bytes):
            return media
        if isinstance(media, str) and media in self.files:
            return self.files[media].data
        return b""

    def _photo_sizes(self, data: bytes) -> list[JSONDict]:
        n = next(self._ids)
        file_ids = [f"fake-photo-{n}-{size}" for size in ("s", "m", "l")]
        for file_id in file_ids:
            self.add_file(file_id, data, file_path=f"photos/{file_id}.jpg")
        return photo_sizes(file_ids, file_size=len(data))

    def _send_photo(self, call: Call) -> JSONDict:
        photo = call.file("photo")
        if photo is None:
            raise BotAPIError(400, "Bad Request: there is no photo in the request")
        return self._new_message(
            call,
            photo=self._photo_sizes(self._store_upload(photo)),
            caption=call.params.get("caption"),
            caption_entities=call.params.get("caption_entities"),
        )

    def _send_document(self, call: Call) -> JSONDict:
        """Guyub uploads documents (a personal export) under a file name of their own."""
        document = call.file("document")
        if not isinstance(document, bytes):
            raise BotAPIError(400, "Bad Request: the fake takes uploaded documents only")
        file_id = f"fake-doc-{next(self._ids)}"
        file_name = call.file_names.get("document")
        self.add_file(file_id, document, file_path=f"documents/{file_name or file_id}")
        sent: JSONDict = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(document),
        }
        if file_name:
            sent["file_name"] = file_name
        return self._new_message(call, document=sent, caption=call.params.get("caption"))

    def _send_media_group(self, call: Call) -> list[JSONDict]:
        items = call.params.get("media") or []
        group_id = f"fake-album-{next(self._ids)}"
        messages = []
        for item, media in zip(items, call.media(), strict=True):
            if item.get("type", "photo") != "photo":  # Guyub sends albums of photos only
                raise BotAPIError(400, "Bad Request: the fake takes photo albums only")
            photo = self._photo_sizes(self._store_upload(media))
            content = {"media_group_id": group_id, "caption": item.get("caption"), "photo": photo}
            messages.append(self._new_message(call, **content))
        return messages

    @staticmethod
    def _commands_key(call: Call) -> str:
        scope = call.params.get("scope") or {"type": "default"}
        return json.dumps([scope, call.params.get("language_code") or ""], sort_keys=True)

    def _set_my_commands(self, call: Call) -> bool:
        self.commands[self._commands_key(call)] = list(call.params.get("commands") or [])
        return True

    def _get_file(self, call: Call) -> JSONDict:
        stored = self.files.get(str(call.params.get("file_id")))
        if stored is None:
            raise BotAPIError(400, MSG_INVALID_FILE_ID)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }
