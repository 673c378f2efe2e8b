"""The command menu Telegram shows after "/", built from the handlers' registry.

Everyone gets the member commands in Indonesian (no language_code) and English ("en");
group chats get only the commands answered in groups (group admins, usually the
coordinators, also `/hubungkan`); each coordinator who uses Telegram gets the full list in
their own chat, in their language. A person promoted later sees
the longer list after the next start.
"""

import logging
import re
from typing import Any

from sqlmodel import col, select
from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
)
from telegram.error import TelegramError
from telegram.ext import ExtBot

from handlers.i18n import t
from handlers.registry import REGISTRY
from storage.db import SessionFactory
from storage.models import ChannelIdentity, Member, Role

__all__ = ["command_menu", "describe", "publish_commands"]

log = logging.getLogger(__name__)

COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
DESCRIPTION_LIMIT = 256
MENU_LIMIT = 100
EVERYONE: frozenset[Role | None] = frozenset({None, Role.MEMBER})
LEAD = EVERYONE | {Role.SELLER, Role.COORDINATOR}  # group admins are usually coordinators


def describe(lang: str, help_key: str) -> str:
    """A menu line without its command: `{cmd} KODE — gabung` becomes `KODE — gabung`."""
    text = " ".join(t(lang, help_key, cmd="").split()).removeprefix("— ").strip()
    if " — " not in text:  # `KODE — ...`, `en — ...`: the argument is shown as typed
        text = text[:1].upper() + text[1:]
    if len(text) > DESCRIPTION_LIMIT:
        text = text[: DESCRIPTION_LIMIT - 1].rstrip() + "…"
    return text or help_key


def command_menu(
    lang: str, roles: frozenset[Role | None] = EVERYONE, *, group: bool = False
) -> list[BotCommand]:
    """The commands with a menu line that these roles may use, named for this language."""
    menu: list[BotCommand] = []
    for command in REGISTRY.commands:
        if command.help_key is None or command.role not in roles:
            continue
        if group and not command.in_group:
            continue
        name = command.en if lang == "en" and command.en in command.slash else command.slash[0]
        if name and COMMAND_NAME.fullmatch(name):
            menu.append(BotCommand(name, describe(lang, command.help_key)))
    return menu[:MENU_LIMIT]


def _telegram_coordinators(open_session: SessionFactory) -> list[tuple[int, str]]:
    """(Telegram user id, language) of every coordinator reachable on Telegram."""
    with open_session() as session:
        rows = session.exec(
            select(ChannelIdentity.address, Member.language)
            .join(Member, col(Member.id) == col(ChannelIdentity.member_id))
            .where(
                ChannelIdentity.channel == "telegram",
                col(ChannelIdentity.unreachable_at).is_(None),
                Member.role == Role.COORDINATOR,
            )
        ).all()
    return [(int(address), language) for address, language in rows if address.isdigit()]


async def publish_commands(bot: ExtBot[Any], open_session: SessionFactory) -> None:
    """Set every menu; a failure is logged, never fatal (the bot works without a menu)."""
    menus: list[tuple[BotCommandScope, str | None, list[BotCommand]]] = [
        (BotCommandScopeDefault(), None, command_menu("id")),
        (BotCommandScopeDefault(), "en", command_menu("en")),
        (BotCommandScopeAllGroupChats(), None, command_menu("id", group=True)),
        (BotCommandScopeAllGroupChats(), "en", command_menu("en", group=True)),
        (BotCommandScopeAllChatAdministrators(), None, command_menu("id", LEAD, group=True)),
        (BotCommandScopeAllChatAdministrators(), "en", command_menu("en", LEAD, group=True)),
    ]
    for user_id, lang in _telegram_coordinators(open_session):
        menus.append((BotCommandScopeChat(user_id), None, command_menu(lang, LEAD)))
    for scope, language, commands in menus:
        try:
            await bot.set_my_commands(commands, scope=scope, language_code=language)
        except TelegramError as error:
            log.warning("telegram setMyCommands (%s, %s) failed: %r", scope.type, language, error)
