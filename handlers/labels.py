"""Text keys naming values stored in the database (a channel, a role), as literal tables.

A stored value never becomes part of a key: looking it up here keeps every key a literal, so
the text-key test (tests/core/test_text_keys.py) knows each one exists in both languages.
"""

from handlers.context import Context
from handlers.messages import Channel
from storage.models import ProductStatus, Role

__all__ = ["CHANNEL_TEXT", "ROLE_TEXT", "STATUS_TEXT", "label"]

CHANNEL_TEXT: dict[str, str] = {
    Channel.TELEGRAM: "channel.telegram",
    Channel.WHATSAPP: "channel.whatsapp",
    Channel.LOCAL: "channel.local",
}

ROLE_TEXT: dict[str, str] = {
    Role.MEMBER: "role.member",
    Role.SELLER: "role.seller",
    Role.COORDINATOR: "role.coordinator",
}

STATUS_TEXT: dict[str, str] = {
    ProductStatus.DRAFT: "catalogue.status.draft",
    ProductStatus.PENDING_APPROVAL: "catalogue.status.pending_approval",
    ProductStatus.ACTIVE: "catalogue.status.active",
    ProductStatus.SOLD_OUT: "catalogue.status.sold_out",
    ProductStatus.HIDDEN: "catalogue.status.hidden",
    ProductStatus.REMOVED: "catalogue.status.removed",
}
"""The text naming each product status."""


def label(ctx: Context, table: dict[str, str], value: str | None, default: str = "") -> str:
    """The words for a stored value in this person's language; the value itself if unknown.

    Data written by an older version may hold a value no table knows: show it, never crash.
    """
    if value is None:
        return default
    return ctx.t(table[value]) if value in table else value
