"""A SQLite FTS5 index that makes catalogue search fast; PostgreSQL runs without it.

`storage.products.search_products` ranks active products by how many search words start
a word of the title, then newest first. A `LIKE` scan does that anywhere but costs
~40 ms at 50,000 products; this index answers the same question in a few ms
(bench/search.py).

How it works:
- `product_fts(title, body)` holds only ACTIVE products, rowid = product id, built from
  `Product.search_text` (" title words | description words ") by triggers on `product`,
  so every writer (ORM, bulk delete, erasure) keeps it right.
- Every token carries its community: `c7xkeripik`. A prefix query `"c7xkerip"*` is then
  scoped to community 7 without a join, and FTS5 stays the only thing consulted.
- Up to FEW matches are fetched at once and ranked in Python. More matches come tier by
  tier (all words in the title, then one fewer, ... then none), each tier newest first
  via `ORDER BY rowid DESC LIMIT`, which FTS5 stops early.

- `product_fts_words(community_id, word, products)` is the vocabulary of the active
  products (how many use each word), kept by the same triggers (`json_each` splits
  `search_text`); typo-tolerant search (storage/search_fuzzy.py) compares query words
  with it instead of with every product, and `fuzzy_rows` fetches what the close words find.

The tables and triggers are created on first use, and afresh whenever sqlite_master holds
anything else than `SHAPE` (a trigger dropped by a migration, or the shape of an older
version of this module: the index is derived, so it is simply rebuilt). They are not in
the Alembic migration, which is shared by both databases; when FTS5 is missing,
`search_ids` returns None and the caller falls back to `LIKE`.
"""

import weakref
from collections.abc import Sequence
from itertools import combinations

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from storage.search_fuzzy import Alternative, Group

__all__ = ["ensure_index", "fuzzy_rows", "search_ids", "vocabulary"]

_WITHOUT_FTS5: "weakref.WeakSet[Engine]" = weakref.WeakSet()
_CHECKED: "weakref.WeakKeyDictionary[Engine, object]" = weakref.WeakKeyDictionary()
"""The schema_version at which each engine's index was last found whole."""
FEW = 500
"""Up to this many matches are ranked in Python from one query; more go tier by tier."""

_TAG = "'c' || {row}.community_id || 'x'"
_SPLIT = "instr({row}.search_text, ' | ')"
_TITLE = "CASE WHEN {split} > 0 THEN trim(substr({row}.search_text, 1, {split} - 1)) ELSE '' END"
_BODY = (
    "CASE WHEN {split} > 0 THEN trim(substr({row}.search_text, {split} + 3)) "
    "ELSE trim({row}.search_text) END"
)


def _tagged(part: str, row: str) -> str:
    """SQL that prefixes every word of a title/body part with the community tag."""
    tag = _TAG.format(row=row)
    text = part.format(row=row, split=_SPLIT.format(row=row))
    return f"CASE WHEN {text} = '' THEN '' ELSE {tag} || replace({text}, ' ', ' ' || {tag}) END"


def _insert(row: str) -> str:
    return (
        f"INSERT INTO product_fts(rowid, title, body) SELECT {row}.id, "
        f"{_tagged(_TITLE, row)}, {_tagged(_BODY, row)}"
    )


_WORDS = (
    "json_each(CASE WHEN json_valid({j}) THEN {j} ELSE '[]' END) AS word "
    "WHERE word.value NOT IN ('', '|')"
)


def _words_of(row: str) -> str:
    """SQL rows `word.value`: the words of a product's search_text (alphanumeric only)."""
    as_json = f"""'["' || replace(trim({row}.search_text), ' ', '","') || '"]'"""
    return _WORDS.format(j=as_json)


def _count_words(row: str, step: str) -> str:
    """Add (`+`) or take away (`-`) an active product's words from the community vocabulary."""
    active = f"{row}.status = 'active'"
    if step == "+":
        return (
            "INSERT INTO product_fts_words(community_id, word, products) "
            f"SELECT DISTINCT {row}.community_id, word.value, 1 FROM {_words_of(row)} "
            f"AND {active} ON CONFLICT(community_id, word) DO UPDATE SET products = products + 1"
        )
    return (
        "UPDATE product_fts_words SET products = products - 1 "
        f"WHERE {active} AND community_id = {row}.community_id AND word IN "
        f"(SELECT word.value FROM {_words_of(row)}); "
        "DELETE FROM product_fts_words "
        f"WHERE {active} AND community_id = {row}.community_id AND products <= 0 "
        f"AND word IN (SELECT word.value FROM {_words_of(row)})"
    )


_TABLES = ("product_fts", "product_fts_words")
_TRIGGERS = ("product_fts_insert", "product_fts_delete", "product_fts_update")
_PARTS = (*_TABLES, *_TRIGGERS)
SHAPE = {
    "product_fts": "CREATE VIRTUAL TABLE product_fts USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0')",
    "product_fts_words": "CREATE TABLE product_fts_words ("
    "community_id INTEGER NOT NULL, word TEXT NOT NULL, products INTEGER NOT NULL, "
    "PRIMARY KEY (community_id, word)) WITHOUT ROWID",
    "product_fts_insert": "CREATE TRIGGER product_fts_insert AFTER INSERT ON product "
    f"WHEN new.status = 'active' BEGIN {_insert('new')}; {_count_words('new', '+')}; END",
    "product_fts_delete": "CREATE TRIGGER product_fts_delete AFTER DELETE ON product "
    "BEGIN DELETE FROM product_fts WHERE rowid = old.id; "
    f"{_count_words('old', '-')}; END",
    "product_fts_update": "CREATE TRIGGER product_fts_update AFTER UPDATE OF status, "
    "search_text, community_id ON product BEGIN DELETE FROM product_fts WHERE rowid = old.id; "
    f"{_insert('new')} WHERE new.status = 'active'; "
    f"{_count_words('old', '-')}; {_count_words('new', '+')}; END",
}
"""Every part of the index as sqlite_master keeps it: any other text is an older shape."""
_DDL = [
    *SHAPE.values(),
    f"{_insert('product')} FROM product WHERE product.status = 'active'",
    "INSERT INTO product_fts_words(community_id, word, products) "
    "SELECT product.community_id, word.value, count(DISTINCT product.id) "
    f"FROM product, {_words_of('product')} AND product.status = 'active' "
    "GROUP BY product.community_id, word.value",
]


def ensure_index(session: Session) -> bool:
    """Create the index if this SQLite database lacks it; False where there is none."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "sqlite" or engine in _WITHOUT_FTS5:
        return False
    connection = session.connection()  # begins the transaction, if none has begun
    if session.info.get("fts_index") is session.get_transaction():  # asked in this one
        return True
    # every search asks: a schema unchanged since the index was last seen whole is answer
    # enough (any DROP or CREATE, such as a migration's rebuild of `product`, changes it)
    version = connection.exec_driver_sql("PRAGMA schema_version").scalar()
    if _CHECKED.get(engine) == version:
        session.info["fts_index"] = session.get_transaction()
        return True
    placeholders = ", ".join("?" for _ in _PARTS)
    found = connection.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE name IN ({placeholders})", _PARTS
    ).all()
    if dict(found) == SHAPE:
        _CHECKED[engine] = version
        session.info["fts_index"] = session.get_transaction()
        return True
    try:
        with connection.begin_nested():
            # A migration that rebuilds `product` drops its triggers: start the index afresh.
            # An older version of this module left another shape: it is derived, rebuild it.
            for trigger in _TRIGGERS:
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
            for table in _TABLES:
                connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            for statement in _DDL:
                connection.exec_driver_sql(statement)
    except OperationalError:  # SQLite built without FTS5
        _WITHOUT_FTS5.add(engine)
        return False
    return True


def _tiers(terms: list[str]) -> list[str]:
    """FTS5 queries for "exactly n words in the title", n from all down to none."""
    everywhere = " AND ".join(terms)

    def at_least(n: int) -> str:
        groups = (" AND ".join(f"title : {t}" for t in group) for group in combinations(terms, n))
        return " OR ".join(f"({g})" for g in groups)

    tiers = []
    for n in range(len(terms), -1, -1):
        if n == len(terms):
            tiers.append(f"({everywhere}) AND ({at_least(n)})")
        elif n == 0:
            tiers.append(f"({everywhere}) NOT ({at_least(1)})")
        else:
            tiers.append(f"(({everywhere}) AND ({at_least(n)})) NOT ({at_least(n + 1)})")
    return tiers


def search_ids(
    *, session: Session, community_id: int, words: Sequence[str], limit: int, offset: int
) -> list[int] | None:
    """Ids of the active products matching every word prefix, best first; None: no index."""
    if not ensure_index(session):
        return None
    connection = session.connection()
    tagged = [f"c{community_id}x{word.replace(chr(34), '')}" for word in words]
    terms = [f'"{word}"*' for word in tagged]
    matching = connection.exec_driver_sql(
        "SELECT rowid, title FROM product_fts WHERE product_fts MATCH ? "
        "ORDER BY rowid DESC LIMIT ?",
        (" AND ".join(terms), FEW + 1),
    ).all()
    if len(matching) <= FEW:
        ranked = sorted(matching, key=lambda row: (-_title_score(row[1], tagged), -row[0]))
        return [row[0] for row in ranked[offset : offset + limit]]
    return _search_tiers(session, terms, limit, offset)


def _title_score(title: str, tagged: list[str]) -> int:
    """How many search words start a word of the (tagged) title."""
    title_words = title.split()
    return sum(any(word.startswith(prefix) for word in title_words) for prefix in tagged)


def _search_tiers(session: Session, terms: list[str], limit: int, offset: int) -> list[int]:
    """Many matches: walk the tiers newest first and let FTS5 stop at the page's end."""
    connection = session.connection()
    ids: list[int] = []
    for tier in _tiers(terms):
        if offset:
            (count,) = connection.exec_driver_sql(
                "SELECT count(*) FROM product_fts WHERE product_fts MATCH ?", (tier,)
            ).one()
            if count <= offset:
                offset -= count
                continue
        rows = connection.exec_driver_sql(
            "SELECT rowid FROM product_fts WHERE product_fts MATCH ? "
            "ORDER BY rowid DESC LIMIT ? OFFSET ?",
            (tier, limit - len(ids), offset),
        ).all()
        ids.extend(row[0] for row in rows)
        offset = 0
        if len(ids) >= limit:
            break
    return ids


def vocabulary(*, session: Session, community_id: int) -> list[str] | None:
    """The distinct words of the community's active products; None: no index."""
    if not ensure_index(session):
        return None
    rows = session.connection().exec_driver_sql(
        "SELECT word FROM product_fts_words WHERE community_id = ?", (community_id,)
    )
    return [row[0] for row in rows]


def _match(community_id: int, alternative: Alternative) -> str:
    parts = [f'"c{community_id}x{word}"*' for word in alternative.words]
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


def fuzzy_rows(
    *, session: Session, community_id: int, groups: Sequence[Group], exact: Sequence[str]
) -> list[tuple[int, str]] | None:
    """(id, search_text) of the newest FEW products matching the groups but not `exact`."""
    if not ensure_index(session):
        return None
    expanded = " AND ".join(
        "(" + " OR ".join(_match(community_id, a) for a in group) + ")" for group in groups
    )
    plain = " AND ".join(_match(community_id, Alternative((w,), 0)) for w in exact)
    rows = (
        session.connection()
        .exec_driver_sql(
            "SELECT product.id, product.search_text FROM product_fts "
            "JOIN product ON product.id = product_fts.rowid WHERE product_fts MATCH ? "
            "ORDER BY product_fts.rowid DESC LIMIT ?",
            (f"({expanded}) NOT ({plain})", FEW),
        )
        .all()
    )
    return [(row[0], row[1]) for row in rows]
