"""Rendering pages: the Jinja2 environment, the language of a request, links that keep it."""

import hashlib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from handlers.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

__all__ = ["Page", "choose_language", "render", "stylesheet"]


@cache
def environment() -> Environment:
    """Templates from bot/site/templates, HTML-escaped unless a template says otherwise."""
    return Environment(
        loader=PackageLoader("bot.site", "templates"),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt variable fails the test, not the page
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def stylesheet() -> tuple[bytes, str]:
    """The one stylesheet and its version (a hash: the link changes when the file does)."""
    data = resources.files("bot.site").joinpath("static/style.css").read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:12]


def _accepted(header: str) -> str | None:
    """The language of ours an `Accept-Language` header prefers most, if any."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and (best is None or (quality, -position) > (best[0], best[1])):
            best = (quality, -position, primary)
    return best[2] if best else None


def choose_language(request: Request) -> tuple[str, bool]:
    """The page's language and whether the visitor chose it (`?lang=en`): otherwise their
    browser's `Accept-Language`, otherwise Indonesian."""
    asked = request.query_params.get("lang", "")
    if asked in LANGUAGES:
        return asked, True
    return _accepted(request.headers.get("accept-language", "")) or DEFAULT_LANGUAGE, False


class Page:
    """What every template gets: the language, texts in it, and links that keep a chosen
    language (`?lang=en` stays on every link once clicked)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.lang, self.chosen = choose_language(request)
        self.other_lang = next(lang for lang in LANGUAGES if lang != self.lang)

    def t(self, key: str, /, **values: object) -> str:
        """A text in the page's language."""
        return t(self.lang, key, **values)

    def link(self, path: str, **params: object) -> str:
        """`path` with its query, plus the chosen language; empty values are left out."""
        query: dict[str, object] = {k: v for k, v in params.items() if v not in (None, "")}
        if self.chosen:
            query["lang"] = self.lang
        return f"{path}?{urlencode(query)}" if query else path

    def switch_link(self) -> str:
        """This page in the other language, with the same query."""
        query = dict(self.request.query_params)
        query["lang"] = self.other_lang
        return f"{self.request.url.path}?{urlencode(query)}"


def render(
    page: Page, template: str, context: Mapping[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """A template as an HTML response in the page's language."""
    _, version = stylesheet()
    html = (
        environment()
        .get_template(template)
        .render(page=page, t=page.t, lang=page.lang, css_version=version, **context)
    )
    headers = {"Vary": "Accept-Language", "Content-Language": page.lang}
    return HTMLResponse(html, status_code=status_code, headers=headers)
