"""How to show a command to a person: `/jual` on Telegram, `JUAL` on WhatsApp."""

from handlers.context import Context
from handlers.registry import REGISTRY, Command

__all__ = ["hint", "menu_lines"]

GUEST_COMMANDS = {"join", "menu", "language", "link"}  # what makes sense before joining


def hint(ctx: Context, command: Command | str, *, typed: bool = False) -> str:
    """How this person types `command` (a Command or its key) on the channel they use.

    `/jual` on Telegram, `JUAL` on WhatsApp. A command without bare words is shown with its
    slash everywhere, unless `typed`: then it is a word a typed-text fallback understands
    (`ADA 12` works on WhatsApp although only `/ada` is a command there).
    """
    if isinstance(command, str):
        command = next(c for c in REGISTRY.commands if c.key == command)
    telegram = ctx.identity.channel == "telegram"
    slash = telegram or not command.bare
    names = command.slash if slash else command.bare
    name = command.en if ctx.lang == "en" and command.en in names else names[0]
    if typed and not telegram:
        return name.upper()
    return f"/{name}" if slash else name.upper()


def menu_lines(ctx: Context) -> list[str]:
    """One line per command this person may use, in registry order."""
    from handlers.context import has_role

    lines = []
    for command in REGISTRY.commands:
        if command.help_key is None:
            continue
        if ctx.member is None and command.key not in GUEST_COMMANDS:
            continue
        if ctx.member is not None and command.key == "join":
            continue
        if command.role is not None and not has_role(ctx.member, command.role):
            continue
        lines.append(ctx.t(command.help_key, cmd=hint(ctx, command)))
    return lines
