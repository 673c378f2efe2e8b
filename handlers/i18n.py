"""Every user-facing text, in Indonesian (default) and English, from the catalogues.

Catalogues are TOML files in `handlers/locales/`, one per feature, so features never
edit each other's texts. Each key holds one string per language:

    [join.welcome]
    id = "Selamat datang di {community}!"
    en = "Welcome to {community}!"
"""

import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

from babel.numbers import format_currency

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "all_texts",
    "normalize_language",
    "rupiah",
    "t",
]

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LOCALES_DIR = Path(__file__).with_name("locales")


def _flatten(prefix: str, table: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    if any(lang in table for lang in LANGUAGES):
        yield prefix, {lang: str(table[lang]) for lang in LANGUAGES if lang in table}
        return
    for key, value in table.items():
        if isinstance(value, Mapping):
            yield from _flatten(f"{prefix}.{key}" if prefix else key, value)


@cache
def all_texts() -> dict[str, dict[str, str]]:
    """Load every catalogue once; a key defined twice is a bug, so it fails loudly."""
    texts: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES_DIR.glob("*.toml")):
        with path.open("rb") as handle:
            for key, variants in _flatten("", tomllib.load(handle)):
                if key in texts:
                    raise ValueError(f"text key {key!r} defined twice (again in {path.name})")
                texts[key] = variants
    return texts


def normalize_language(code: str | None) -> str | None:
    """Map `id`, `in`, `id-ID`, `EN`, `en_US`, `indonesia`, `english` to `id`/`en`."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    aliases = {
        "in": "id",
        "indonesia": "id",
        "indonesian": "id",
        "bahasa": "id",
        "english": "en",
        "inggris": "en",
    }
    code = aliases.get(code, code.split("-")[0])
    return code if code in LANGUAGES else None


def t(lang: str | None, key: str, /, **values: object) -> str:
    """Return text `key` in `lang` (falling back to Indonesian), with `values` filled in."""
    variants = all_texts().get(key)
    if variants is None:
        raise KeyError(f"no text {key!r} in handlers/locales")
    template = variants.get(lang or DEFAULT_LANGUAGE) or variants[DEFAULT_LANGUAGE]
    return template.format(**values) if values else template


def placeholders(template: str) -> set[str]:
    """The `{names}` a template expects: the catalogue test checks both languages agree."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def rupiah(amount: int) -> str:
    """Format whole Rupiah the Indonesian way: 15000 -> `Rp15.000`."""
    return format_currency(
        amount, "IDR", format="¤#,##0", locale="id_ID", currency_digits=False
    ).replace("\xa0", "")
