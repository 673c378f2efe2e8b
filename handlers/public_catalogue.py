"""The public catalogue's switch and addresses: `/atur katalog publik on|off`.

A community chooses whether anyone may see its catalogue on the web (`/k/<code>`, served by
bot/site) and its join poster (`/poster/<code>`); it is off until a coordinator turns it on.
The addresses are built here so the chat (POSTER, this setting's confirmation) and the web
pages say the same thing.
"""

from dataclasses import dataclass
from urllib.parse import quote

from handlers.commands import hint
from handlers.community_settings import Setting, register_setting
from handlers.context import Context, Options
from handlers.messages import Reply
from storage.models import Community

__all__ = [
    "JoinLink",
    "catalogue_path",
    "catalogue_url",
    "join_links",
    "read_on_off",
]

ON_WORDS = frozenset({"on", "ya", "yes", "aktif", "buka", "hidup", "nyala", "publik", "public"})
OFF_WORDS = frozenset({"off", "tidak", "no", "mati", "tutup", "nonaktif", "private", "pribadi"})
FILLER_WORDS = frozenset({"publik", "public"})  # `/atur katalog publik on`


def read_on_off(text: str) -> bool | None:
    """`on` / `off` (and their Indonesian words) -> True / False; anything else None."""
    words = [word for word in text.casefold().split() if word]
    meaningful = [word for word in words if word not in FILLER_WORDS] or words
    if len(meaningful) != 1:
        return None
    word = meaningful[0].strip(".!")
    if word in OFF_WORDS:
        return False
    if word in ON_WORDS:
        return True
    return None


def catalogue_path(community: Community) -> str:
    """`/k/kba13`: the catalogue's path (codes are matched ignoring case; lower reads best)."""
    return f"/k/{quote(community.invite_code.lower())}"


def catalogue_url(base_url: str | None, community: Community) -> str | None:
    """The catalogue's full address, when the server's public address is known."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}{catalogue_path(community)}"


@dataclass(frozen=True)
class JoinLink:
    """A way to join: the channel (`telegram`, `whatsapp`) and the link a QR code holds."""

    channel: str
    link: str


def join_links(options: Options, community: Community) -> list[JoinLink]:
    """The Telegram deep link and the WhatsApp `GABUNG KODE` link, for the channels that run."""
    links = []
    if options.telegram_bot_username:
        links.append(
            JoinLink(
                "telegram",
                f"https://t.me/{options.telegram_bot_username}?start={community.invite_code}",
            )
        )
    if options.whatsapp_number:
        text = quote(f"GABUNG {community.invite_code}")
        links.append(JoinLink("whatsapp", f"https://wa.me/{options.whatsapp_number}?text={text}"))
    return links


def _show(ctx: Context, community: Community) -> str:
    return ctx.t("site.setting.on" if community.public_catalogue else "site.setting.off")


def _change(ctx: Context, community: Community, value: str) -> Reply:
    wanted = read_on_off(value)
    if wanted is None:
        return ctx.reply("site.setting.invalid", value=value[:20], cmd=hint(ctx, "settings"))
    community.public_catalogue = wanted
    ctx.session.add(community)
    if not wanted:
        return ctx.reply("site.setting.saved_off")
    url = catalogue_url(ctx.options.public_base_url, community)
    if url is None:
        return ctx.reply("site.setting.saved_on_no_url", path=catalogue_path(community))
    return ctx.reply("site.setting.saved_on", url=url)


register_setting(
    Setting(
        names=("katalog", "catalogue", "catalog"),
        line="site.setting.line",
        show=_show,
        change=_change,
    )
)
