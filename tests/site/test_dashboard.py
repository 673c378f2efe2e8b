"""The coordinator dashboard through the real web app (in-process ASGI) on a seeded market:
the one-time login from `DASBOR`, its expiry and reuse, the cookie's scope, CSRF, escaping,
and that each action is the chat command's own (the seller hears it the same way)."""

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from bot.app import Core
from bot.site.auth import COOKIE, load_secret, sign_session
from bot.site.dashboard import dashboard_routes_for
from bot.web import build_web_app
from handlers.clock import ManualClock
from handlers.messages import Channel, Incoming
from storage.db import transaction
from storage.models import (
    Community,
    Member,
    OutboxMessage,
    Product,
    ProductStatus,
    Role,
)
from tests.site.market import OTHER_PHONE, RT_PHONE, SITI_PHONE, XSS_TITLE, Market, seed_market

LINK = re.compile(r"/dasbor/masuk/(\S+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Dash:
    core: Core
    market: Market
    client: httpx.AsyncClient
    pending: int  # a product waiting for approval


@pytest.fixture
async def dash(core: Core) -> AsyncIterator[Dash]:
    market = seed_market(core.open_session, core.options.media_dir, core.clock.now())
    with transaction(core.open_session) as session:
        siti = session.exec(select(Member).where(Member.phone == SITI_PHONE)).one()
        waiting = Product(
            community_id=siti.community_id,
            seller_id=siti.id or 0,
            title="Kemplang <b>panggang</b>",
            price=20000,
            category="kuliner",
            status=ProductStatus.PENDING_APPROVAL,
            created_at=core.clock.now(),
            updated_at=core.clock.now(),
            last_confirmed_at=core.clock.now(),
        )
        session.add(waiting)
        tono = session.exec(select(Member).where(Member.phone == OTHER_PHONE)).one()
        tono.role = Role.COORDINATOR  # RW05's coordinator
        session.add(tono)
        session.flush()
        pending = waiting.id or 0
    app = build_web_app(
        open_session=core.open_session, media=core.media, routes=dashboard_routes_for(core)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Dash(core, market, client, pending)


async def say(core: Core, phone: str, text: str) -> str:
    """What Guyub answers on WhatsApp (the replies' texts joined)."""
    clock = core.clock
    replies = await core.router.handle(
        Incoming(
            channel=Channel.WHATSAPP,
            message_id=f"m{clock.now().timestamp()}{text}",
            address=phone,
            display_name="x",
            received_at=clock.now(),
            text=text,
        )
    )
    return "\n".join(reply.text for reply in replies)


async def login(dash: Dash, phone: str = RT_PHONE) -> str:
    """Log in through a fresh DASBOR link; the CSRF token of the first page."""
    answer = await say(dash.core, phone, "DASBOR")
    token = LINK.search(answer)
    assert token, answer
    opened = await dash.client.get(f"/dasbor/masuk/{token.group(1)}")
    assert opened.status_code == 303 and opened.headers["location"].startswith("/dasbor")
    page = await dash.client.get("/dasbor")
    assert page.status_code == 200
    found = CSRF.search(page.text)
    assert found
    return found.group(1)


async def product_status(core: Core, product_id: int) -> str:
    with core.open_session() as session:
        product = session.get(Product, product_id)
        assert product is not None
        return product.status


async def test_a_link_logs_in_once_with_a_strict_httponly_cookie(dash: Dash) -> None:
    answer = await say(dash.core, RT_PHONE, "DASBOR")
    assert "10 menit" in answer and "sekali" in answer
    token = LINK.search(answer)
    assert token
    opened = await dash.client.get(f"/dasbor/masuk/{token.group(1)}")
    assert opened.status_code == 303
    cookie = opened.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=43200" in cookie
    assert token.group(1) not in opened.headers["location"]  # the token leaves the URL
    page = await dash.client.get("/dasbor")
    assert page.status_code == 200 and "KBA 13 Ulu" in page.text
    assert page.headers["cache-control"] == "no-store"
    again = await httpx.AsyncClient(transport=dash.client._transport, base_url="http://test").get(
        f"/dasbor/masuk/{token.group(1)}"
    )
    assert again.status_code == 403
    assert "sudah dipakai" in again.text and "already used" in again.text  # both languages
    assert (await dash.client.get("/dasbor/masuk/not-a-token")).status_code == 404


async def test_a_link_expires_after_ten_minutes(dash: Dash) -> None:
    answer = await say(dash.core, RT_PHONE, "DASBOR")
    token = LINK.search(answer)
    assert token
    clock = dash.core.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(minutes=10, seconds=1))
    opened = await dash.client.get(f"/dasbor/masuk/{token.group(1)}")
    assert opened.status_code == 403 and "kedaluwarsa" in opened.text
    assert COOKIE not in opened.headers.get("set-cookie", "")


async def test_the_session_ends_after_twelve_hours(dash: Dash) -> None:
    await login(dash)
    clock = dash.core.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=12, minutes=1))
    assert (await dash.client.get("/dasbor")).status_code == 403


async def test_members_and_sellers_get_no_link(dash: Dash) -> None:
    answer = await say(dash.core, SITI_PHONE, "DASBOR")
    assert LINK.search(answer) is None
    assert (await dash.client.get("/dasbor")).status_code == 403


async def test_approving_is_the_chat_command_and_the_seller_hears_it(dash: Dash) -> None:
    csrf = await login(dash)
    page = await dash.client.get("/dasbor/produk")
    assert "Kemplang &lt;b&gt;panggang&lt;/b&gt;" in page.text  # escaped, never markup
    done = await dash.client.post(f"/dasbor/produk/{dash.pending}/approve", data={"csrf": csrf})
    assert done.status_code == 303
    assert await product_status(dash.core, dash.pending) == ProductStatus.ACTIVE
    after = await dash.client.get(done.headers["location"])
    assert "disetujui" in after.text.lower()  # /setujui's own answer, shown once
    with dash.core.open_session() as session:
        notices = session.exec(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.startswith("dasbor:"))  # type: ignore[attr-defined]
        ).all()
    assert len(notices) == 1 and "Kemplang" in notices[0].payload["text"]


async def test_hiding_needs_a_reason_and_showing_undoes_it(dash: Dash) -> None:
    csrf = await login(dash)
    product = dash.market.products["keripik"]
    await dash.client.post(f"/dasbor/produk/{product}/hide", data={"csrf": csrf, "reason": " "})
    assert await product_status(dash.core, product) == ProductStatus.ACTIVE
    await dash.client.post(
        f"/dasbor/produk/{product}/hide", data={"csrf": csrf, "reason": "foto buram"}
    )
    assert await product_status(dash.core, product) == ProductStatus.HIDDEN
    await dash.client.post(f"/dasbor/produk/{product}/unhide", data={"csrf": csrf})
    assert await product_status(dash.core, product) == ProductStatus.ACTIVE


async def test_a_forged_or_missing_csrf_token_changes_nothing(dash: Dash) -> None:
    csrf = await login(dash)
    for token in ("", "forged", csrf[:-2] + "xx"):
        refused = await dash.client.post(
            f"/dasbor/produk/{dash.pending}/approve", data={"csrf": token}
        )
        assert refused.status_code == 403 and "Formulir" in refused.text
    assert await product_status(dash.core, dash.pending) == ProductStatus.PENDING_APPROVAL


async def test_another_communitys_coordinator_reaches_nothing_here(dash: Dash) -> None:
    csrf = await login(dash, OTHER_PHONE)
    page = await dash.client.get("/dasbor/produk")
    assert "RW 05 Melati" in page.text and "Kemplang" not in page.text
    await dash.client.post(f"/dasbor/produk/{dash.pending}/approve", data={"csrf": csrf})
    assert await product_status(dash.core, dash.pending) == ProductStatus.PENDING_APPROVAL
    with dash.core.open_session() as session:
        siti = session.exec(select(Member).where(Member.phone == SITI_PHONE)).one()
    await dash.client.post(
        f"/dasbor/anggota/{siti.id}/peran", data={"csrf": csrf, "role": "coordinator"}
    )
    with dash.core.open_session() as session:
        assert session.get(Member, siti.id).role == Role.SELLER  # type: ignore[union-attr]
    members = await dash.client.get("/dasbor/anggota")
    assert "Siti" not in members.text and "Tono" in members.text


async def test_a_cookie_naming_another_community_or_a_forged_one_is_refused(dash: Dash) -> None:
    core = dash.core
    secret = load_secret(None, core.options.media_dir)
    with core.open_session() as session:
        rt = session.exec(select(Member).where(Member.phone == RT_PHONE)).one()
        other = session.exec(select(Community).where(Community.invite_code == "RW05")).one()
    # a validly signed cookie whose member is not of the community it names
    crossed = sign_session(
        secret, community_id=other.id or 0, member_id=rt.id or 0, now=core.clock.now()
    )
    dash.client.cookies.set(COOKIE, crossed)
    assert (await dash.client.get("/dasbor")).status_code == 403
    forged = sign_session(
        b"another secret", community_id=rt.community_id, member_id=rt.id or 0, now=core.clock.now()
    )
    dash.client.cookies.set(COOKIE, forged)
    assert (await dash.client.get("/dasbor")).status_code == 403


async def test_a_demoted_coordinator_is_out_at_once(dash: Dash) -> None:
    await login(dash)
    with transaction(dash.core.open_session) as session:
        rt = session.exec(select(Member).where(Member.phone == RT_PHONE)).one()
        rt.role = Role.MEMBER
        session.add(rt)
    assert (await dash.client.get("/dasbor/anggota")).status_code == 403


async def test_promote_and_demote_go_through_the_shared_functions(dash: Dash) -> None:
    csrf = await login(dash)
    with dash.core.open_session() as session:
        siti = session.exec(select(Member).where(Member.phone == SITI_PHONE)).one()
    url = f"/dasbor/anggota/{siti.id}/peran"
    await dash.client.post(url, data={"csrf": csrf, "role": "coordinator"})
    with dash.core.open_session() as session:
        assert session.get(Member, siti.id).role == Role.COORDINATOR  # type: ignore[union-attr]
    done = await dash.client.post(url, data={"csrf": csrf, "role": "member"})
    page = await dash.client.get(done.headers["location"])
    assert "bukan koordinator lagi" in page.text
    with dash.core.open_session() as session:
        assert session.get(Member, siti.id).role == Role.SELLER  # type: ignore[union-attr]


async def test_an_announcement_from_the_dashboard_is_umumkans(dash: Dash) -> None:
    csrf = await login(dash)
    form = {"csrf": csrf, "text": "Kerja bakti <Minggu> pagi", "audience": "everyone"}
    preview = await dash.client.post("/dasbor/pengumuman/pratinjau", data=form)
    assert preview.status_code == 200
    assert "Kerja bakti &lt;Minggu&gt; pagi" in preview.text
    assert "Akan diterima 4 anggota" in preview.text
    sent = await dash.client.post("/dasbor/pengumuman/kirim", data={**form, "do": "send"})
    assert sent.status_code == 303 and "/dasbor/pengumuman/" in sent.headers["location"]
    report = await dash.client.get(sent.headers["location"])
    assert "Pengumuman #1" in report.text and "4" in report.text
    with dash.core.open_session() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "broadcast")).all()
    assert len(rows) == 4
    # another community's announcement number is not there
    assert (await dash.client.get("/dasbor/pengumuman/999")).status_code == 404


async def test_settings_change_through_the_registry(dash: Dash) -> None:
    csrf = await login(dash)
    page = await dash.client.get("/dasbor/pengaturan")
    assert page.status_code == 200 and "digest" in page.text.lower()
    await dash.client.post(
        "/dasbor/pengaturan", data={"csrf": csrf, "setting": "approval", "value": "on"}
    )
    await dash.client.post(
        "/dasbor/pengaturan", data={"csrf": csrf, "setting": "rekomendasi", "value": "7"}
    )
    with dash.core.open_session() as session:
        kba = session.get(Community, dash.market.community.id)
        assert kba is not None and kba.approval_required and kba.recommendations_per_day == 7


async def test_pages_render_and_charts_are_png(dash: Dash) -> None:
    await login(dash)
    for path in ("/dasbor/acara", "/dasbor/ringkasan", "/dasbor/pengumuman", "/dasbor/anggota"):
        page = await dash.client.get(path)
        assert page.status_code == 200, path
        assert "<script>" not in page.text
    page = await dash.client.get("/dasbor/produk")
    assert XSS_TITLE not in page.text and "&lt;script&gt;" in page.text
    chart = await dash.client.get("/dasbor/grafik/growth.png")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    assert (await dash.client.get("/dasbor/grafik/nope.png")).status_code == 404


async def test_statistik_in_chat_sends_three_pictures(dash: Dash) -> None:
    replies = await dash.core.router.handle(
        Incoming(
            channel=Channel.WHATSAPP,
            message_id="stats-1",
            address=RT_PHONE,
            display_name="Pak RT",
            received_at=dash.core.clock.now(),
            text="STATISTIK",
        )
    )
    assert len(replies) == 1 and len(replies[0].media) == 3
    assert "KBA 13 Ulu" in replies[0].text and "1 rekomendasi" not in replies[0].text
