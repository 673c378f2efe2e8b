"""Telegram for real, as a transcript line: what people say becomes updates on the fake Bot
API, the real PTB Application (polling) takes them, and the replies are what the fake saw
sent to their chat, read back into `Reply`s."""

import asyncio
import html
import itertools
from collections.abc import Iterator
from typing import Any

from bot.app import Core
from bot.channels.telegram import TelegramChannel
from handlers.messages import Button, Channel, MediaRef, Reply
from storage.models import InboxMessage
from tests.fakes.telegram_api import (
    Call,
    FakeTelegramAPI,
    make_callback_update,
    make_photo_update,
    make_text_update,
)
from tests.transcript import Said

__all__ = ["REPLY_METHODS", "TelegramLine", "reply_of"]

REPLY_METHODS = ("sendMessage", "sendPhoto", "sendMediaGroup")


def reply_of(call: Call) -> Reply:
    """A message the bot sent, read back as the Reply it shows (HTML unescaped)."""
    text = call.params.get("text") or call.params.get("caption") or ""
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
    buttons = tuple(Button(key["text"], key["callback_data"]) for row in rows for key in row)
    if call.method == "sendPhoto":
        photo = call.params.get("photo")
        media: tuple[str, ...] = (photo if isinstance(photo, str) else "upload",)
    elif call.method == "sendMediaGroup":
        media = tuple(m if isinstance(m, str) else "upload" for m in call.media())
    else:
        media = ()
    return Reply(text=html.unescape(text), media=media, buttons=buttons)


class TelegramLine:
    """People on Telegram. A name gets a user id of its own (or `person` gives one); an
    all-digit name is used as the id itself."""

    channel = Channel.TELEGRAM

    def __init__(
        self,
        core: Core,
        api: FakeTelegramAPI,
        telegram: TelegramChannel,
        update_ids: Iterator[int] | None = None,
    ) -> None:
        self.core, self.api, self.telegram = core, api, telegram
        self.update_ids = update_ids or itertools.count(10_000)
        self.people: dict[str, dict[str, Any]] = {}
        self._message_of: dict[tuple[str, str], int] = {}  # (chat, callback data) -> message
        self._handled: set[int] = set()
        self.last_update_id = 0
        self._changed = asyncio.Event()
        core.inbox.on_done.append(self._mark_handled)  # the update's row is done, replies sent

    def person(self, who: str, user_id: int, **profile: Any) -> None:
        """Give `who` a Telegram user id and profile (username, language_code, first_name)."""
        self.people[who] = {"user_id": user_id, "first_name": who, **profile}

    def address(self, who: str) -> str:
        if who.isdigit():
            return who
        if who not in self.people:
            self.person(who, 9_000 + len(self.people))
        return str(self.people[who]["user_id"])

    def pressing(self, button: Button) -> Said:
        return Said(payload=button.payload)

    def new_photo(self) -> MediaRef:
        """A photo as the fake offers it (its default sizes; `api.add_file` gives the bytes)."""
        return MediaRef("photo", "photo-l", "image/jpeg")

    async def send(self, who: str, said: Said) -> list[Reply]:
        user_id = int(self.address(who))
        profile = {k: v for k, v in self.people.get(who, {}).items() if k != "user_id"}
        profile.setdefault("first_name", said.display_name or who)
        if said.username:
            profile["username"] = said.username
        if said.language_hint:
            profile["language_code"] = said.language_hint
        where: dict[str, Any] = {}
        if said.is_group and said.chat_id:
            where = {"chat_id": int(said.chat_id), "chat_type": "supergroup"}
        chat = str(where.get("chat_id", user_id))
        update_id = self.last_update_id = next(self.update_ids)
        if said.payload is not None:
            message_id = self._message_of.get((chat, said.payload), 1)
            update = make_callback_update(
                update_id, user_id, said.payload, message_id=message_id, **profile, **where
            )
        elif said.media:
            update = make_photo_update(
                update_id, user_id, caption=said.text or None, **profile, **where
            )
        else:
            update = make_text_update(update_id, user_id, said.text, **profile, **where)
        before = len(self.api.calls)
        self.api.push_update(update)
        await self.handled(update_id)
        return self.replies(chat, self.api.calls[before:])

    def sent(self, who: str, *methods: str) -> list[Call]:
        """The successful sends to `who`'s private chat (or a group id), raw as the fake saw."""
        chat = who if who.lstrip("-").isdigit() else self.address(who)
        wanted = methods or REPLY_METHODS
        return [c for c in self.api.calls if c.method in wanted and str(c.chat_id) == chat and c.ok]

    async def handled(self, update_id: int) -> None:
        """Wait until the application is done with an update, then deliver what the outbox
        has due (these tests run no delivery worker), as the router line does."""
        async with asyncio.timeout(5):
            while update_id not in self._handled:
                self._changed.clear()
                await self._changed.wait()
        await self.core.drain()

    def replies(self, chat: str, calls: list[Call]) -> list[Reply]:
        """The one place replies come from: the fake's successful sends to `chat`."""
        replies = []
        for call in calls:
            if call.method in REPLY_METHODS and str(call.chat_id) == chat and call.ok:
                result = call.result if isinstance(call.result, dict) else {}
                for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
                    for key in row:
                        self._message_of[(chat, key["callback_data"])] = result["message_id"]
                replies.append(reply_of(call))
        return replies

    def _mark_handled(self, row: InboxMessage) -> None:
        if row.channel == Channel.TELEGRAM and row.platform_id.startswith("u"):
            self._handled.add(int(row.platform_id[1:]))
            self._changed.set()
