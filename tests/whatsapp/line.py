"""WhatsApp for real, as a transcript line: what people say becomes webhooks signed with
twilio's RequestValidator into the real web app, and the replies are what the real twilio
client posted to the fake Twilio for them, read back into `Reply`s (numbered options
become buttons again, pressed by typing their number)."""

import re
from collections.abc import Sequence

from bot.app import Core
from handlers.messages import Button, Channel, MediaRef, Reply
from tests.fakes.twilio_api import FakeTwilioAPI, SentMessage
from tests.transcript import Said
from tests.whatsapp.webhooks import Phone

__all__ = ["WhatsAppLine", "reply_of"]

OPTION = re.compile(r"^(\d+)\. (.+)$")


def reply_of(message: SentMessage, media_base: str) -> Reply:
    """A message Guyub sent, as the Reply it shows: `1. Label` lines at the end are buttons."""
    lines = (message.body or "").split("\n")
    buttons: list[Button] = []
    while lines and (option := OPTION.match(lines[-1])):
        buttons.insert(0, Button(option.group(2), option.group(1)))
        lines.pop()
    if buttons and len(lines) >= 2 and lines[-1] == "":
        lines.pop()  # the blank line before the options
    else:
        lines, buttons = (message.body or "").split("\n"), []
    media = tuple(url.removeprefix(media_base) for url in message.media_url)
    return Reply(text="\n".join(lines), media=media, buttons=tuple(buttons))


class WhatsAppLine:
    """People on WhatsApp. `person` gives a name its number and profile name; a name that
    starts with + is a number already."""

    channel = Channel.WHATSAPP

    def __init__(self, core: Core, phone: Phone, api: FakeTwilioAPI, media_base: str) -> None:
        self.core, self.phone, self.api, self.media_base = core, phone, api, media_base
        self.people: dict[str, tuple[str, str]] = {}  # name -> (number, profile name)
        self.photos = 0

    def person(self, who: str, number: str, profile_name: str | None = None) -> None:
        """Give `who` a WhatsApp number (and the profile name Twilio reports)."""
        self.people[who] = (number, profile_name or who)

    def address(self, who: str) -> str:
        if who.startswith("+"):
            return who
        if who not in self.people:
            self.person(who, f"+62811{len(self.people):07d}")
        return self.people[who][0]

    def pressing(self, button: Button) -> Said:
        return Said(text=button.payload)  # WhatsApp shows numbers: the person types one

    def new_photo(self) -> MediaRef:
        """A photo Twilio holds for us (the webhook carries its URL)."""
        self.photos += 1
        name = f"photo-{self.photos}"
        url = self.api.add_media(name, f"jpeg {name}".encode(), "image/jpeg")
        return MediaRef("photo", url, "image/jpeg")

    async def send(self, who: str, said: Said) -> list[Reply]:
        number = self.address(who)
        name = said.display_name or self.people.get(who, (number, who))[1]
        sender = Phone(self.phone.http, self.api, self.phone.channel, number, self.phone.public)
        sender.name = name
        media = [(m.ref, m.content_type or "image/jpeg") for m in said.media]
        before = len(self.api.messages)
        params = sender.params(said.text, media=media, payload=said.payload)
        response = await sender.post(params)
        assert response.status_code == 200, response.text
        await self.phone.channel.idle()
        await self.core.drain()  # what the outbox has due, as the router line does
        return self.replies(number, self.api.messages[before:])

    def replies(self, number: str, messages: Sequence[SentMessage]) -> list[Reply]:
        """The one place replies come from: what the fake Twilio took for `number`."""
        to = f"whatsapp:{number}"
        return [reply_of(m, self.media_base) for m in messages if m.to == to]
