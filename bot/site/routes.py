"""The public pages' routes: the catalogue, a product, photo thumbnails, the poster, the CSS.

Endpoints are plain functions: Starlette runs them in its thread pool, so a page's database
work and Pillow never hold up the bot's event loop. Every page is for one public community
(`/k/<invite code>`, any case); an unknown code, a private community, or a product that is
not this community's active one is the same friendly 404, in both languages.
"""

import functools
from collections.abc import Callable

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from bot.site.catalogue import cards, find_public_product, listing, public_community
from bot.site.pages import Page, render, stylesheet
from bot.site.thumbnails import WIDTHS, thumbnail
from handlers.catalogue.categories import CATEGORIES
from handlers.context import Options
from handlers.i18n import LANGUAGES, t
from handlers.poster import poster_for, render_pdf, render_png
from handlers.public_catalogue import catalogue_path, join_links
from storage.db import SessionFactory
from storage.media import MediaStore, is_photo
from storage.models import Community

__all__ = ["site_routes"]

PAGE_CACHE = "public, max-age=60"  # a new product shows within a minute
FILE_CACHE = "public, max-age=604800, immutable"  # a media id's bytes never change
CATEGORY_KEYS = {category.key for category in CATEGORIES}
MAX_PAGE = 10_000
MAX_QUERY = 80


def _number(text: str | None) -> int:
    return min(int(text), MAX_PAGE) if text and text.isdigit() and int(text) > 0 else 1


def site_routes(*, open_session: SessionFactory, options: Callable[[], Options]) -> list[BaseRoute]:
    """The routes of the public pages; `options` is read per request (the bot's Telegram
    username is learnt only once Telegram has started)."""

    def base_url(request: Request) -> str:
        """Absolute links (Open Graph, the poster) use PUBLIC_BASE_URL when set."""
        return (options().public_base_url or str(request.base_url)).rstrip("/")

    def not_found(request: Request) -> Response:
        page = Page(request)
        other = functools.partial(t, page.other_lang)  # the page says it in both languages
        return render(page, "not_found.html", {"other": other}, status_code=404)

    def common(page: Page, session: Session, community: Community) -> dict[str, object]:
        return {
            "community": community,
            "home": catalogue_path(community),
            "join": join_links(options(), community),
            "poster": f"/poster/{community.invite_code.lower()}.pdf",
        }

    def catalogue(request: Request) -> Response:
        page = Page(request)
        query = request.query_params.get("q", "")[:MAX_QUERY].strip()
        category = request.query_params.get("kategori") or None
        if category not in CATEGORY_KEYS:
            category = None
        number = _number(request.query_params.get("hal"))
        with open_session() as session:
            community = public_community(session, request.path_params["code"])
            if community is None:
                return not_found(request)
            found = listing(
                session,
                community,
                options=options(),
                lang=page.lang,
                query=query,
                category=None if query else category,
                number=number,
            )
            context = common(page, session, community) | {
                "listing": found,
                "query": query,
                "category": None if query else category,
                "canonical": f"{base_url(request)}{catalogue_path(community)}",
            }
            response = render(page, "catalogue_page.html", context)
        response.headers["Cache-Control"] = PAGE_CACHE
        return response

    def product(request: Request) -> Response:
        page = Page(request)
        raw_id = request.path_params["product_id"]
        with open_session() as session:
            community = public_community(session, request.path_params["code"])
            if community is None or not raw_id.isdigit() or len(raw_id) > 12:
                return not_found(request)
            found = find_public_product(session, community, int(raw_id))
            if found is None:
                return not_found(request)
            card = cards(session, community, [found], options=options(), lang=page.lang, full=True)[
                0
            ]
            base = base_url(request)
            url = f"{base}{catalogue_path(community)}/p/{card.id}"
            context = common(page, session, community) | {
                "card": card,
                "url": url,
                "image": f"{base}/thumb/640/{card.photo_id}.jpg" if card.photo_id else None,
            }
            response = render(page, "product_page.html", context)
        response.headers["Cache-Control"] = PAGE_CACHE
        return response

    def thumb(request: Request) -> Response:
        width = request.path_params["width"]
        media_id = request.path_params["name"].removesuffix(".jpg")
        if width not in WIDTHS:
            return Response(status_code=404)
        store = MediaStore(options().media_dir)
        with open_session() as session:
            media = store.get(session=session, media_id=media_id)
        if media is None or not is_photo(media) or media.member_id is not None:
            return Response(status_code=404)
        etag = f'"{media.sha256[:20]}-{width}"'
        headers = {"Cache-Control": FILE_CACHE, "ETag": etag, "X-Content-Type-Options": "nosniff"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        path = thumbnail(store, media, width)
        if path is None:
            return Response(status_code=404)
        return FileResponse(path, media_type="image/jpeg", headers=headers)

    def poster(request: Request) -> Response:
        name = request.path_params["name"].lower()
        stem, _, kind = name.partition(".")
        if kind not in ("", "pdf", "png"):
            return not_found(request)
        with open_session() as session:
            community = public_community(session, stem)
            if community is None:
                return not_found(request)
            asked = request.query_params.get("lang", "")
            lang = asked if asked in LANGUAGES else community.language
            sheet = poster_for(community, options=options(), lang=lang, base_url=base_url(request))
        headers = {"Cache-Control": "public, max-age=3600"}
        filename = f"poster-{stem}"
        if kind == "png":
            headers["Content-Disposition"] = f'inline; filename="{filename}.png"'
            return Response(render_png(sheet), media_type="image/png", headers=headers)
        headers["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
        return Response(render_pdf(sheet), media_type="application/pdf", headers=headers)

    def style(request: Request) -> Response:
        data, version = stylesheet()
        etag = f'"{version}"'
        headers = {"Cache-Control": FILE_CACHE, "ETag": etag}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(data, media_type="text/css", headers=headers)

    return [
        Route("/k/{code}", catalogue, methods=["GET", "HEAD"]),
        Route("/k/{code}/p/{product_id}", product, methods=["GET", "HEAD"]),
        Route("/thumb/{width:int}/{name}", thumb, methods=["GET", "HEAD"]),
        Route("/poster/{name}", poster, methods=["GET", "HEAD"]),
        Route("/static/style.css", style, methods=["GET", "HEAD"]),
    ]
