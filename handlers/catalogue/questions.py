"""Questions become searches, and searches that find nothing can become a *permintaan*.

`ada yang jual bakso?`, `mau pesan nasi kuning`, `looking for batik` or a single product
word like `bakso` is someone looking for a product: it runs the same search as CARI and
says so ("Saya carikan "bakso": …"). When nothing matches, the reply points to KATALOG and
offers a button that records a permintaan, which coordinators read with PERMINTAAN.

What is never a search (decided here, tested in tests/catalogue/test_questions.py):
- commands, flow answers and numbers: the router handles them before any fallback runs;
- small talk (`halo`, `makasih`, `ok`): handlers/smalltalk.py answers it first;
- yes/no and skip words, question words (`apa`, `gimana`), laughter (`wkwk`, `hehe`);
- a single word unless it is alphabetic, at least `MIN_WORD` letters and has a vowel;
- longer sentences unless they start with a looking-for phrase (`PHRASES`).
"""

import re
from collections.abc import Sequence
from datetime import timedelta

from handlers.answers import NO_WORDS, YES_WORDS
from handlers.arguments import SKIP_WORDS
from handlers.catalogue.browse import search_replies, split_page
from handlers.catalogue.fields import search_words
from handlers.commands import hint
from handlers.context import Context
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.models import Role
from storage.product_requests import Recorded, demand, normalise_words, record_request

__all__ = ["MIN_WORD", "PHRASES", "looked_for"]

MIN_WORD = 3
MAX_WORDS = 6
PHRASES = (
    "ada yang jual", "ada yg jual", "ada yang jualan", "ada yg jualan", "ada yang punya",
    "ada yg punya", "siapa yang jual", "siapa yg jual", "siapa jual", "yang jual", "yg jual",
    "di mana beli", "dimana beli", "di mana ada", "dimana ada", "di mana cari", "dimana cari",
    "mau pesan", "mau pesen", "mau beli", "mau order", "mau cari", "lagi cari", "lagi nyari",
    "pengen", "pingin", "ingin", "pesan", "pesen", "beli", "order", "nyari", "mencari",
    "butuh", "perlu", "ada",
    "is anyone selling", "anyone selling", "who sells", "is there any", "is there",
    "looking for", "i am looking for", "i'm looking for", "i need", "i want", "want to buy",
    "where can i buy", "where can i find", "buy", "need",
)  # fmt: skip
"""Starts of a looking-for sentence, longest first when tried."""
TRAILING = (
    "gak", "ga", "gk", "nggak", "ngga", "enggak", "tidak", "kah", "kak", "ka", "min", "dong",
    "ya", "nih", "sih", "bu", "pak", "mas", "mbak", "disini", "di sini", "hari ini",
    "please", "here", "today", "anyone",
)  # fmt: skip
NOT_PRODUCTS = frozenset(
    {
        "apa", "siapa", "kenapa", "mengapa", "gimana", "bagaimana", "kapan", "dimana", "mana",
        "berapa", "bingung", "tolong", "bantu", "info", "admin", "bot", "guyub", "hehe",
        "haha", "hihi", "wkwk", "wkwkwk", "what", "who", "why", "how", "when", "where",
        "hmm", "oh", "oalah", "lho", "kok", "nah", "iya", "belum", "sudah", "udah",
    }
)  # fmt: skip
"""Single words that are conversation, not products."""
_PHRASES = sorted(PHRASES, key=len, reverse=True)
_PUNCTUATION = re.compile(r"[?!.,;:~]+")


def looked_for(text: str) -> str | None:
    """The product words of a looking-for message (`ada yang jual bakso?` -> `bakso`)."""
    words = " ".join(_PUNCTUATION.sub(" ", text.casefold()).split())
    if not words:
        return None
    for phrase in _PHRASES:
        if words.startswith(phrase + " "):
            return _wanted(words[len(phrase) + 1 :])
    if " " not in words and _product_word(words):
        return words
    return None


def _wanted(rest: str) -> str | None:
    changed = True
    while changed:
        changed = False
        for word in TRAILING:
            if rest.endswith(" " + word):
                rest, changed = rest[: -len(word) - 1].strip(), True
    words = rest.split()
    if not words or len(words) > MAX_WORDS or not search_words(rest):
        return None
    if len(words) == 1 and not _product_word(words[0]):
        return None
    return rest


def _product_word(word: str) -> bool:
    return (
        word.isalpha()
        and len(word) >= MIN_WORD
        and any(vowel in word for vowel in "aeiou")
        and word not in NOT_PRODUCTS
        and word not in YES_WORDS
        and word not in NO_WORDS
        and word not in SKIP_WORDS
    )


@REGISTRY.fallback(80)
async def question_search(msg: Incoming, ctx: Context) -> Sequence[Reply] | None:
    """A member looking for a product gets the search, said as such."""
    if ctx.member is None or ctx.community is None or msg.payload or msg.media:
        return None
    query = looked_for(msg.text)
    if query is None:
        return None
    return search_replies(ctx, query, 1, asked=True)


@REGISTRY.command(
    "wanted", slash=("kabaripenjual", "tellsellers"), bare=(), en="tellsellers", listed=False
)
async def wanted(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """The button under "nothing found": record that someone is looking for these words."""
    assert ctx.member is not None and ctx.community is not None
    _, words = split_page(rest)
    words = normalise_words(words)
    if not search_words(words):
        return [ctx.reply("catalogue.search.usage", search=hint(ctx, "search"))]
    outcome = record_request(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        member_id=ctx.member.id or 0,
        words=words,
        now=ctx.now,
    )
    key = {
        Recorded.ADDED: "catalogue.request.added",
        Recorded.ALREADY: "catalogue.request.already",
        Recorded.LIMIT: "catalogue.request.limit",
    }[outcome]
    return [ctx.reply(key, words=words, catalogue=hint(ctx, "catalogue"))]


@REGISTRY.command(
    "requests", slash=("permintaan", "requests"), role=Role.COORDINATOR, en="requests"
)
async def requests(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """PERMINTAAN: what members looked for and did not find, the last 30 days."""
    assert ctx.community is not None
    asked = demand(
        session=ctx.session, community_id=ctx.community.id or 0, since=ctx.now - timedelta(days=30)
    )
    if not asked:
        return [ctx.reply("catalogue.request.none")]
    lines = [ctx.t("catalogue.request.line", words=a.words, count=a.people) for a in asked]
    return [ctx.reply("catalogue.request.list", lines="\n".join(lines))]
