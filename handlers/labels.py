"""Text keys naming values stored in the database (a channel, a role), as literal tables.

A stored value never becomes part of a key: looking it up here keeps every key a literal, so
the text-key test (tests/core/test_text_keys.py) knows each one exists in both languages.
"""

from handlers.messages import Channel
from storage.models import Role

__all__ = ["CHANNEL_TEXT", "ROLE_TEXT"]

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
