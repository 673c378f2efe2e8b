"""The weekly digest (*rangkuman mingguan*) as a member reads it, and `/atur digest`.

A digest run builds one `Edition` per community (the parts every member shares: products in
the fair promotion order, the newest, the most recommended, the events of the next 14 days,
each computed once), then for each member `select_for` picks what they see and `render`
writes it. Both are pure: data in, a `Selection` or a `Reply` out, so 10,000 members cost
list filtering and string joins, not queries (jobs/digest.py reads the data; bench/digest.py
measures it).

What a member sees, at most `MAX_PRODUCTS` products, never their own:
1. new products: posted since their last digest (the last 7 days before a first one),
   newest first;
2. picks: products by the fair exposure ranking (least shown lately first), then up to
   `RECOMMENDED_SLOTS` of the most recommended ones not shown yet;
3. the events of the next 14 days (each event's next occurrence, with its place; at most
   `MAX_EVENTS`).

"Nothing new" (no digest that week): no product posted by someone else since the member's
last digest, and no upcoming event occurrence their last digest did not already list. The
picks alone never make a digest: they would repeat every week.

Each product is one line with its price and seller; the text stays within the channel's
length limit by leaving out whole lines (the last picks first), never by cutting one.
A WhatsApp member outside the 24-hour window first gets the template teaser (`teaser`), and
the full digest with their next message (`owed_digest`, a router interceptor).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from handlers.commands import hint
from handlers.community_settings import Setting, register_setting
from handlers.context import Context
from handlers.dates import short_date
from handlers.i18n import rupiah, t
from handlers.messages import Incoming, Reply, payload_to_reply
from handlers.registry import REGISTRY, Interception
from handlers.shorten import shorten
from handlers.weekly_time import read_weekly_time, shown_weekly_time
from storage.digests import pending_digest, take_pending
from storage.models import ChannelIdentity, Community, ConversationState

__all__ = [
    "EVENT_DAYS",
    "FIRST_DIGEST_LOOKBACK",
    "LENGTH_LIMITS",
    "MAX_PRODUCTS",
    "Chat",
    "DigestEvent",
    "DigestProduct",
    "Edition",
    "Selection",
    "digest_identity",
    "length_limit",
    "render",
    "select_for",
    "teaser",
]

MAX_PRODUCTS = 10
MAX_EVENTS = 8  # a busy fortnight lists its first eight events (ACARA shows them all)
KEEP_EVENTS = 3  # trimming for length leaves out picks first, then events beyond three
RECOMMENDED_SLOTS = 3
EVENT_DAYS = 14
FIRST_DIGEST_LOOKBACK = timedelta(days=7)
OWED_FOR = timedelta(days=7)  # a teaser's full digest is owed until the next week's
LENGTH_LIMITS = {"telegram": 4096, "whatsapp": 1600}
"""One message's text: Telegram 4096 characters, a WhatsApp body 1600 (local: as WhatsApp)."""
DEFAULT_LIMIT = 1600
TITLE_LIMIT, SELLER_LIMIT, PLACE_LIMIT = 48, 32, 40


@dataclass(frozen=True, slots=True)
class DigestProduct:
    """A product as the digest shows it (read once per run)."""

    id: int
    seller_id: int
    title: str
    price: int | None
    seller: str
    created_at: datetime
    recommendations: int = 0


@dataclass(frozen=True, slots=True)
class DigestEvent:
    """An event occurrence as the digest shows it; `key` names it across weeks."""

    key: str
    title: str
    place: str
    starts_at: datetime


@dataclass(frozen=True, slots=True)
class Selection:
    """What one member's digest shows."""

    new: tuple[DigestProduct, ...]
    picks: tuple[DigestProduct, ...]
    events: tuple[DigestEvent, ...]

    @property
    def products(self) -> tuple[DigestProduct, ...]:
        return self.new + self.picks

    @property
    def count(self) -> int:
        """Products and events: the number the teaser announces."""
        return len(self.new) + len(self.picks) + len(self.events)


@dataclass
class Edition:
    """One community's digest run: what every member's digest is chosen from.

    `ranked` is the fair promotion order, `newest` the same products newest first,
    `recommended` those with recommendations, most first. Rendered lines are cached per
    language, so a product shown to thousands is formatted once.
    """

    community: str
    zone: str
    now: datetime
    ranked: list[DigestProduct]
    newest: list[DigestProduct]
    recommended: list[DigestProduct]
    events: list[DigestEvent]
    _lines: dict[tuple[str, int, bool], str] = field(default_factory=dict, repr=False)
    _event_lines: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)
    _voices: dict[tuple[str, str], "_Voice"] = field(default_factory=dict, repr=False)

    @classmethod
    def of(
        cls,
        *,
        community: Community,
        now: datetime,
        ranked: Sequence[DigestProduct],
        events: Sequence[DigestEvent],
    ) -> "Edition":
        """An edition from the products in promotion order and the coming events."""
        newest = sorted(ranked, key=lambda p: (p.created_at, p.id), reverse=True)
        liked = [p for p in ranked if p.recommendations > 0]
        liked.sort(key=lambda p: (-p.recommendations, p.id))
        return cls(community.name, community.timezone, now, list(ranked), newest, liked, [*events])

    def product_line(self, lang: str, product: DigestProduct, with_count: bool) -> str:
        key = (lang, product.id, with_count)
        line = self._lines.get(key)
        if line is None:
            values = {
                "id": product.id,
                "title": _one_line(product.title, TITLE_LIMIT),
                "price": rupiah(product.price)
                if product.price is not None
                else t(lang, "catalogue.card.no_price"),
                "seller": _one_line(product.seller, SELLER_LIMIT),
            }
            if with_count and product.recommendations:
                line = t(lang, "digest.line.recommended", count=product.recommendations, **values)
            else:
                line = t(lang, "digest.line.product", **values)
            self._lines[key] = line
        return line

    def event_line(self, lang: str, event: DigestEvent) -> str:
        key = (lang, event.key)
        line = self._event_lines.get(key)
        if line is None:
            when = short_date(event.starts_at, lang=lang, zone=self.zone)
            title = _one_line(event.title, TITLE_LIMIT)
            place = _one_line(event.place, PLACE_LIMIT)
            line = (
                t(lang, "digest.line.event", when=when, title=title, place=place)
                if place
                else t(lang, "digest.line.event_no_place", when=when, title=title)
            )
            self._event_lines[key] = line
        return line

    def voice(self, lang: str, channel: str) -> "_Voice":
        key = (lang, channel)
        voice = self._voices.get(key)
        if voice is None:
            voice = self._voices[key] = _Voice.of(self.community, lang, channel)
        return voice


@dataclass(frozen=True)
class _Voice:
    """The texts around the lists, in one language, for one channel's way of typing."""

    heading: str
    new: str
    picks: str
    events: str
    open_cmd: str
    catalogue_cmd: str
    footer: str
    lang: str

    @classmethod
    def of(cls, community: str, lang: str, channel: str) -> "_Voice":
        import handlers.features  # noqa: F401  (the commands shown must be registered)

        ctx = _speaking(lang, channel)
        return cls(
            heading=t(lang, "digest.heading", community=community),
            new=t(lang, "digest.section.new"),
            picks=t(lang, "digest.section.picks"),
            events=t(lang, "digest.section.events"),
            open_cmd=hint(ctx, "open_share"),
            catalogue_cmd=hint(ctx, "catalogue"),
            footer=t(lang, "digest.footer", stop=hint(ctx, "stop")),
            lang=lang,
        )


def _speaking(lang: str, channel: str) -> Context:
    """A context that is only good for `hint`: how a person on `channel` types commands."""
    from handlers.clock import ManualClock
    from handlers.context import Options

    never = datetime.min.replace(tzinfo=UTC)
    identity = ChannelIdentity(channel=channel, address="", created_at=never)
    state = ConversationState(identity_id=None, updated_at=never)
    return Context(
        session=None,  # type: ignore[arg-type]  # hint reads no data
        clock=ManualClock(),
        options=Options(),
        identity=identity,
        state=state,
        lang=lang,
    )


def _one_line(text: str, limit: int) -> str:
    return shorten(" ".join(text.split()), limit)


def select_for(
    edition: Edition, *, member_id: int, since: datetime, seen_events: frozenset[str] = frozenset()
) -> Selection | None:
    """What `member_id` sees, given their last digest (`since`, and the events it listed);
    None when there is nothing new for them (see the module docstring)."""
    new: list[DigestProduct] = []
    for product in edition.newest:
        if product.created_at <= since or len(new) == MAX_PRODUCTS:
            break
        if product.seller_id != member_id:
            new.append(product)
    if not new and all(event.key in seen_events for event in edition.events):
        return None
    room = MAX_PRODUCTS - len(new)
    taken = {product.id for product in new}
    liked = _first(edition.recommended, member_id, taken, min(room, RECOMMENDED_SLOTS))
    taken |= {product.id for product in liked}
    fair = _first(edition.ranked, member_id, taken, room - len(liked))
    if len(fair) + len(liked) < room:  # the ranking ran out: more of the most recommended
        taken |= {product.id for product in fair}
        liked += _first(edition.recommended, member_id, taken, room - len(fair) - len(liked))
    return Selection(tuple(new), tuple(fair + liked), tuple(edition.events[:MAX_EVENTS]))


def _first(
    products: Sequence[DigestProduct], member_id: int, taken: set[int], wanted: int
) -> list[DigestProduct]:
    found: list[DigestProduct] = []
    for product in products:
        if len(found) >= wanted:
            break
        if product.seller_id != member_id and product.id not in taken:
            found.append(product)
    return found


def render(
    edition: Edition, selection: Selection, *, lang: str, channel: str, limit: int
) -> tuple[Reply, Selection]:
    """The digest text for one member, and what it really shows once made to fit `limit`:
    whole lines are left out: the last picks, events beyond `KEEP_EVENTS`, the last new
    products, then the remaining events."""
    voice = edition.voice(lang, channel)
    new, picks, events = list(selection.new), list(selection.picks), list(selection.events)
    while True:
        text = _compose(edition, voice, new, picks, events)
        if len(text) <= limit or not (new or picks or events):
            break
        if picks:
            picks.pop()
        elif len(events) > KEEP_EVENTS:
            events.pop()
        elif new:
            new.pop()
        else:
            events.pop()
    shown = Selection(tuple(new), tuple(picks), tuple(events))
    return Reply(text=text, kind="digest", extra=teaser_variables(edition, shown)), shown


def _compose(
    edition: Edition,
    voice: _Voice,
    new: list[DigestProduct],
    picks: list[DigestProduct],
    events: list[DigestEvent],
) -> str:
    lang = voice.lang
    parts = [voice.heading]
    if new:
        lines = [edition.product_line(lang, p, False) for p in new]
        parts.append("\n".join([voice.new, *lines]))
    if picks:
        lines = [edition.product_line(lang, p, True) for p in picks]
        parts.append("\n".join([voice.picks, *lines]))
    if events:
        lines = [edition.event_line(lang, e) for e in events]
        parts.append("\n".join([voice.events, *lines]))
    first = new[0] if new else picks[0] if picks else None
    if first is not None:
        parts.append(t(lang, "digest.open", cmd=voice.open_cmd, id=first.id))
    parts.append(voice.footer)
    return "\n\n".join(parts)


def teaser_variables(edition: Edition, shown: Selection) -> dict[str, str]:
    """The digest template's variables: {{1}} the community, {{2}} how many picks."""
    return {"1": edition.community, "2": str(shown.count)}


def teaser(edition: Edition, shown: Selection, *, lang: str, channel: str) -> Reply:
    """The short digest a WhatsApp member outside the 24-hour window gets (as the digest
    Content template, with the same variables); the full one follows their reply."""
    voice = edition.voice(lang, channel)
    text = t(
        lang,
        "digest.teaser",
        community=edition.community,
        count=shown.count,
        cmd=voice.catalogue_cmd,
    )
    return Reply(text=text, kind="digest", extra=teaser_variables(edition, shown))


# -- which channel ----------------------------------------------------------------------


class Chat(Protocol):
    """What choosing a digest's chat reads of a `ChannelIdentity` (a row or a light tuple)."""

    @property
    def channel(self) -> str: ...

    @property
    def unreachable_at(self) -> datetime | None: ...


C = TypeVar("C", bound=Chat)


def digest_identity(contact_channel: str | None, identities: Sequence[C]) -> C | None:
    """The one chat a member's digest is written for: the channel they chose to be reached
    on (`Member.contact_channel`) if linked, else Telegram (free), else WhatsApp, else any.

    Only reachable chats count. The outbox row names the member and this channel (no
    address): the delivery worker sends it once, on this channel while it works.
    """
    reachable = {i.channel: i for i in identities if i.unreachable_at is None}
    for channel in (contact_channel, "telegram", "whatsapp"):
        if channel in reachable:
            return reachable[channel]
    return next(iter(reachable.values()), None)


def length_limit(identities: Sequence[Chat]) -> int:
    """The tightest text limit among the member's reachable chats, so the digest fits
    whichever one the delivery worker ends up using."""
    limits = [
        LENGTH_LIMITS.get(i.channel, DEFAULT_LIMIT) for i in identities if i.unreachable_at is None
    ]
    return min(limits, default=DEFAULT_LIMIT)


# -- the full digest owed after a teaser ------------------------------------------------


@REGISTRY.intercept
async def owed_digest(msg: Incoming, ctx: Context) -> Interception | None:
    """A member who got the WhatsApp teaser gets the full digest with their next message.

    Replying KATALOG (what the teaser asks) is answered by the digest alone; any other
    message gets the digest first, then its own answer.
    """
    if ctx.member is None or ctx.community is None or ctx.erased:
        return None
    digest = pending_digest(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        member_id=ctx.member.id or 0,
        since=ctx.now - OWED_FOR,
    )
    if digest is None:
        return None
    payload = take_pending(session=ctx.session, digest=digest, now=ctx.now)
    if payload is None:
        return None
    reply = payload_to_reply(payload, kind="reply")
    words = msg.text.split()
    command = (
        REGISTRY.find(words[0].lstrip("/").strip(".,!?"), slash=words[0].startswith("/"))
        if len(words) == 1 and not msg.payload
        else None
    )
    return Interception((reply,), done=command is not None and command.key == "catalogue")


# -- /atur digest ---------------------------------------------------------------------


def _show_digest_time(ctx: Context, community: Community) -> str:
    return shown_weekly_time(community.digest_weekday, community.digest_time, ctx.lang)


def _change_digest_time(ctx: Context, community: Community, value: str) -> Reply:
    weekly = read_weekly_time(value)
    if weekly is None:
        return ctx.reply("digest.setting.invalid", value=value[:30], cmd=hint(ctx, "settings"))
    community.digest_weekday, community.digest_time = weekly.weekday, weekly.time
    ctx.session.add(community)
    return ctx.reply("digest.setting.saved", when=_show_digest_time(ctx, community))


register_setting(
    Setting(
        names=("digest", "rangkuman"),
        line="digest.setting.line",
        show=_show_digest_time,
        change=_change_digest_time,
    )
)
