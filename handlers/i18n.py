"""Every user-facing text, in Indonesian (default) and English, from the catalogues.

Catalogues are TOML files in `handlers/locales/`, one per feature, so features never
edit each other's texts. Each key holds one string per language:

    [join.welcome]
    id = "Selamat datang di {community}!"
    en = "Welcome to {community}!"

A number that counts something ("3 products") is always the placeholder `{count}`, and the
text has one form per plural category of the language (Babel's CLDR rules: English has `one`
and `other`; Indonesian does not inflect, so one string serves every number):

    [catalogue.card.recommendations]
    id = "👍 {count} rekomendasi"
    en.one = "👍 {count} recommendation"
    en.other = "👍 {count} recommendations"
"""

import tomllib
from collections.abc import Iterator, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from string import Formatter
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Variant",
    "all_texts",
    "forms",
    "month_year",
    "normalize_language",
    "placeholders",
    "plural_categories",
    "plural_category",
    "rupiah",
    "t",
]

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LOCALES_DIR = Path(__file__).with_name("locales")

Variant = str | dict[str, str]
"""One language's text: a template, or one template per plural category (`one`, `other`)."""


def _variant(value: object) -> Variant:
    if isinstance(value, Mapping):
        return {category: str(form) for category, form in value.items()}
    return str(value)


def _flatten(prefix: str, table: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Variant]]]:
    if any(lang in table for lang in LANGUAGES):
        yield prefix, {lang: _variant(table[lang]) for lang in LANGUAGES if lang in table}
        return
    for key, value in table.items():
        if isinstance(value, Mapping):
            yield from _flatten(f"{prefix}.{key}" if prefix else key, value)


@cache
def all_texts() -> dict[str, dict[str, Variant]]:
    """Load every catalogue once; a key defined twice is a bug, so it fails loudly."""
    texts: dict[str, dict[str, Variant]] = {}
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
    if not lang or lang not in variants:
        lang = DEFAULT_LANGUAGE
    template = variants[lang]
    if isinstance(template, dict):
        if "count" not in values:
            raise TypeError(f"text {key!r} has plural forms: pass count=")
        template = template[plural_category(lang, values["count"])]
    return template.format(**values) if values else template


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_categories(lang: str) -> set[str]:
    """The plural forms of a language: `{"one", "other"}` in English, `{"other"}` in Indonesian."""
    return {*_locale(lang).plural_form.tags, "other"}


def plural_category(lang: str, count: object) -> str:
    """Which plural form `count` takes in `lang` (CLDR rules, via Babel)."""
    number = count if isinstance(count, int | float) else int(str(count))
    return str(_locale(lang).plural_form(number))


def forms(variant: Variant) -> list[str]:
    """Every template of one language's text (one, or one per plural category)."""
    return list(variant.values()) if isinstance(variant, dict) else [variant]


def placeholders(template: str) -> set[str]:
    """The `{names}` a template expects: the catalogue test checks both languages agree."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def rupiah(amount: int) -> str:
    """Format whole Rupiah the Indonesian way: 15000 -> `Rp15.000`."""
    return format_currency(
        amount, "IDR", format="¤#,##0", locale="id_ID", currency_digits=False
    ).replace("\xa0", "")


def month_year(lang: str | None, day: date) -> str:
    """The month of `day` the way the language names it: `Desember 2026`, `December 2026`."""
    return format_date(day, "LLLL y", locale=lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
