"""A new person's first language, guessed once, before they have joined.

Someone who opens with `JOIN KS01` or `help` speaks English; Telegram also tells us the
language of the person's app (`Incoming.language_hint`). Either one, whichever comes
first, becomes the guest's language (`ChannelIdentity.language`): the consent question,
the welcome and every later reply follow it, until `BAHASA`/`LANGUAGE` changes it. A
member's language is never guessed over.
"""

from handlers.i18n import normalize_language
from handlers.messages import Incoming
from handlers.registry import REGISTRY, Registry
from storage.models import ChannelIdentity, Member

__all__ = ["english_words", "settle_first_language"]

SHARED_WORDS = {"stop", "start", "menu", "ok"}
"""English command words Indonesians type as well: they tell no language apart."""
ALSO_ENGLISH = {"help"}
"""English names of commands shown by another name in English too (`MENU`, alias `HELP`)."""


def english_words(registry: Registry = REGISTRY) -> set[str]:
    """The English spellings of the registry's commands (`join`, `help`, `sell` ...)."""
    named = {c.en for c in registry.commands if c.en and c.en not in SHARED_WORDS}
    aliases = {word for c in registry.commands for word in (*c.slash, *c.bare)} & ALSO_ENGLISH
    return named | aliases


def settle_first_language(
    identity: ChannelIdentity, member: Member | None, msg: Incoming, registry: Registry = REGISTRY
) -> None:
    """Give a guest without a language one: English for an English command word, else
    the language of their Telegram app if it is one Guyub speaks."""
    if member is not None or identity.language is not None:
        return
    first = msg.text.split(maxsplit=1)[0] if msg.text.strip() else ""
    word = first.removeprefix("/").split("@", 1)[0].strip(".,!?:;").casefold()
    if word in english_words(registry):
        identity.language = "en"
    else:
        identity.language = normalize_language(msg.language_hint)
