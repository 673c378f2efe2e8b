"""The public pages on a seeded market, through the real web app (in-process ASGI)."""

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from bot.app import Core
from bot.site.routes import site_routes
from bot.web import build_web_app
from handlers.context import Options
from tests.site.market import Market, seed_market

BASE = "https://guyub.example"


@pytest.fixture
def options(core: Core) -> Options:
    """Both channels running, and a public address."""
    return replace(
        core.options,
        telegram_bot_username="GuyubBot",
        whatsapp_number="6285550001111",
        public_base_url=BASE,
    )


@pytest.fixture
def market(core: Core) -> Market:
    """KBA13 (public) and RW05 (private), with sellers and products."""
    return seed_market(core.open_session, core.options.media_dir, core.clock.now())


@pytest.fixture
async def web(core: Core, options: Options, market: Market) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the web app with the public pages."""
    routes = site_routes(open_session=core.open_session, options=lambda: options)
    app = build_web_app(open_session=core.open_session, media=core.media, routes=routes)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
