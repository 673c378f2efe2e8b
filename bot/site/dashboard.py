"""The coordinator dashboard at /dasbor: members, products, events, announcements, digests,
settings and charts of one community, for its coordinators only.

Login is a one-time link from `DASBOR` in chat (bot/site/auth.py has the cookie and CSRF
design). Every page loads the coordinator from the cookie and checks, in the database, that
they are still a coordinator of that community; every query is scoped to it. Every action
runs the chat command's own handler or the function it shares with the dashboard (approving
is `/setujui`, promoting is `/angkat`'s `make_coordinator`, an announcement is `/umumkan`'s
`send_now`), inside a transaction like a chat message, with the notices queued the same way.
Forms post back and redirect (the answer is shown once, from a signed cookie).
"""

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.router import queue_notices
from bot.site.auth import (
    COOKIE,
    SESSION_TTL,
    SessionCookie,
    csrf_token,
    csrf_valid,
    load_secret,
    read_cookie,
    read_note,
    sign_note,
    sign_session,
)
from bot.site.pages import Page, render
from bot.turn import Turn
from handlers.account import make_coordinator, step_down
from handlers.announce.command import (
    AnnounceData,
    preview_lines,
    preview_numbers,
    schedule,
    send_now,
)
from handlers.announce.sending import announcement_message, report_text
from handlers.catalogue.cards import price_text, product_label, status_text
from handlers.catalogue.moderation import (
    approval,
    approve,
    hide_product,
    reject,
    remove_product,
    unhide_product,
)
from handlers.clock import Clock
from handlers.community_settings import SETTINGS
from handlers.context import Context, Options
from handlers.dates import short_date
from handlers.events.schedule import upcoming
from handlers.i18n import t
from handlers.labels import CHANNEL_TEXT, ROLE_TEXT
from handlers.messages import Channel, Incoming, Reply
from handlers.statistics import ALT_TEXT, CHARTS, draw_chart
from storage.announcements import broadcast_counts, find_announcement, scheduled_announcements
from storage.communities import identities_of, members_of
from storage.consignments import occurrence_consignments
from storage.dashboard import member_chats, redeem_login, reviewable_products
from storage.db import SessionFactory, transaction
from storage.events import occurrence_rsvps
from storage.models import (
    Announcement,
    AnnouncementAudience,
    Community,
    ConversationState,
    Member,
    ProductStatus,
    Role,
    RsvpAnswer,
)
from storage.products import pending_products

if TYPE_CHECKING:
    from bot.app import Core

__all__ = ["dashboard_routes", "dashboard_routes_for"]

NOTE_COOKIE = "guyub_dasbor_note"
MAX_FORM = 20_000
MAX_TEXT = 3000
PRODUCT_ACTIONS = {
    "approve": (approve, False),
    "reject": (reject, True),  # (the chat command, needs a reason)
    "hide": (hide_product, True),
    "unhide": (unhide_product, False),
    "remove": (remove_product, True),
}
REFUSALS = {
    "login": ("dashboard.refused.login.title", "dashboard.refused.login.text"),
    "csrf": ("dashboard.refused.csrf.title", "dashboard.refused.csrf.text"),
    "used": ("dashboard.refused.used.title", "dashboard.refused.used.text"),
    "expired": ("dashboard.refused.expired.title", "dashboard.refused.expired.text"),
    "unknown": ("dashboard.refused.unknown.title", "dashboard.refused.unknown.text"),
    "missing": ("dashboard.refused.missing.title", "dashboard.refused.missing.text"),
    "form": ("dashboard.refused.form.title", "dashboard.refused.form.text"),
    "logged_out": ("dashboard.logged_out.title", "dashboard.logged_out.text"),
}
"""Why a page is not shown: its title and text (each said in both languages)."""
AUDIENCES = (
    AnnouncementAudience.EVERYONE,
    AnnouncementAudience.SELLERS,
    AnnouncementAudience.EVENT,
)


@dataclass
class Who:
    """The coordinator behind a request, checked against the database."""

    cookie: SessionCookie
    member: Member
    community: Community
    csrf: str


def dashboard_routes_for(core: "Core") -> list[BaseRoute]:
    """The dashboard wired to a running Guyub (its clock, router lock and delivery worker)."""
    secret = core.settings.dashboard_secret
    return dashboard_routes(
        open_session=core.open_session,
        options=lambda: core.options,
        clock=core.clock,
        secret=load_secret(secret.get_secret_value() if secret else None, core.options.media_dir),
        turn=core.router.turn,
        on_outbox=core.worker.kick,
    )


def dashboard_routes(
    *,
    open_session: SessionFactory,
    options: Callable[[], Options],
    clock: Clock,
    secret: bytes,
    turn: Turn | None = None,
    on_outbox: Callable[[], None] = lambda: None,
) -> list[BaseRoute]:
    """The dashboard's routes."""
    lock = turn or Turn()

    # --- who is asking ------------------------------------------------------------------

    def refused(request: Request, reason: str, status: int = 403) -> Response:
        page = Page(request)
        title, text = REFUSALS[reason]
        values = {
            "title": page.t(title),
            "text": page.t(text),
            "other_title": t(page.other_lang, title),
            "other_text": t(page.other_lang, text),
        }
        response = render(page, "dash_refused.html", values, status_code=status)
        response.headers["Cache-Control"] = "no-store"
        return response

    def who(request: Request, session: Session) -> Who | None:
        cookie = read_cookie(secret, request.cookies.get(COOKIE), clock.now())
        if cookie is None:
            return None
        member = session.get(Member, cookie.member_id)
        community = session.get(Community, cookie.community_id)
        if (
            member is None
            or community is None
            or member.community_id != community.id
            or member.role != Role.COORDINATOR  # a demoted coordinator is out at once
        ):
            return None
        return Who(cookie, member, community, csrf_token(secret, cookie))

    def context(session: Session, found: Who, page: Page) -> Context | None:
        chats = identities_of(session=session, member_id=found.member.id or 0)
        if not chats:
            return None
        identity = chats[0]
        state = ConversationState(identity_id=identity.id, updated_at=clock.now())
        return Context(
            session=session,
            clock=clock,
            options=options(),
            identity=identity,
            state=state,  # never stored: a dashboard action leaves the chat's flow alone
            member=found.member,
            community=found.community,
            lang=page.lang,
        )

    def incoming(ctx: Context) -> Incoming:
        return Incoming(
            channel=Channel(ctx.identity.channel),
            message_id=f"dasbor-{secrets.token_hex(8)}",
            address=ctx.identity.address,
            display_name=ctx.member.display_name if ctx.member else "",
            received_at=clock.now(),
        )

    async def form(request: Request) -> dict[str, str]:
        body = await request.body()
        if len(body) > MAX_FORM:
            return {}
        parsed = parse_qs(body.decode(errors="replace"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}

    def page_view(
        view: Callable[[Request, Session, Who, Page], Response],
    ) -> Callable[[Request], Awaitable[Response]]:
        """A GET page: signed in, in the coordinator's community; the last action's note."""

        async def endpoint(request: Request) -> Response:
            page = Page(request)
            with open_session() as session:
                found = who(request, session)
                if found is None:
                    return refused(request, "login")
                response = view(request, session, found, page)
            response.headers["Cache-Control"] = "no-store"
            if request.cookies.get(NOTE_COOKIE):
                response.delete_cookie(NOTE_COOKIE, path="/dasbor")
            return response

        return endpoint

    def action(
        run: Callable[[Request, Context, dict[str, str]], Awaitable[tuple[list[str], str]]],
    ) -> Callable[[Request], Awaitable[Response]]:
        """A POST: signed in, CSRF checked, then `run` in one transaction like a chat
        message (its notices queued on commit); redirects to the page `run` names."""

        async def endpoint(request: Request) -> Response:
            page = Page(request)
            fields = await form(request)
            async with lock:
                with transaction(open_session) as session:
                    found = who(request, session)
                    if found is None:
                        return refused(request, "login")
                    if not csrf_valid(secret, found.cookie, fields.get("csrf")):
                        return refused(request, "csrf")
                    ctx = context(session, found, page)
                    if ctx is None:
                        return refused(request, "login")
                    texts, where = await run(request, ctx, fields)
                    queued = queue_notices(ctx, f"dasbor:{secrets.token_hex(8)}", clock.now())
                for after in ctx.after_commit:
                    after()
            if queued:
                on_outbox()
            response = RedirectResponse(page.link(where), status_code=303)
            if texts:
                response.set_cookie(
                    NOTE_COOKIE,
                    sign_note(secret, texts),
                    max_age=120,
                    path="/dasbor",
                    httponly=True,
                    samesite="strict",
                    secure=request.url.scheme == "https",
                )
            return response

        return endpoint

    def show(
        page: Page, request: Request, found: Who, template: str, active: str, **values: Any
    ) -> Response:
        context_values = {
            "community": found.community,
            "me": found.member,
            "csrf": found.csrf,
            "active": active,
            "notes": read_note(secret, request.cookies.get(NOTE_COOKIE)),
            **values,
        }
        return render(page, template, context_values)

    def texts(replies: Sequence[Reply]) -> list[str]:
        return [reply.text for reply in replies if reply.text]

    # --- login and logout ----------------------------------------------------------------

    async def login(request: Request) -> Response:
        token = request.path_params["token"]
        async with lock:
            with transaction(open_session) as session:
                used = redeem_login(session=session, token=token[:100], now=clock.now())
                member = session.get(Member, used.member_id) if used.member_id else None
                if used.problem is not None or member is None or member.role != Role.COORDINATOR:
                    problem = used.problem or "unknown"
                    status = 404 if problem == "unknown" else 403
                    return refused(request, problem, status)
                value = sign_session(
                    secret,
                    community_id=used.community_id or 0,
                    member_id=member.id or 0,
                    now=clock.now(),
                )
                lang = member.language
        # the token leaves the address bar (and the history) at once
        response = RedirectResponse(f"/dasbor?lang={lang}", status_code=303)
        response.set_cookie(
            COOKIE,
            value,
            max_age=int(SESSION_TTL.total_seconds()),
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    async def logout(request: Request) -> Response:
        fields = await form(request)
        cookie = read_cookie(secret, request.cookies.get(COOKIE), clock.now())
        if cookie is None or not csrf_valid(secret, cookie, fields.get("csrf")):
            return refused(request, "csrf")
        response = refused(request, "logged_out", 200)
        response.delete_cookie(COOKIE, path="/")
        return response

    # --- overview and charts ---------------------------------------------------------------

    def overview(request: Request, session: Session, found: Who, page: Page) -> Response:
        cid = found.community.id or 0
        counts = {
            "members": len(members_of(session=session, community_id=cid)),
            "pending": len(pending_products(session=session, community_id=cid)),
            "products": sum(
                1
                for p in reviewable_products(session=session, community_id=cid)
                if p.status == ProductStatus.ACTIVE
            ),
        }
        return show(
            page,
            request,
            found,
            "dash_overview.html",
            "overview",
            counts=counts,
            charts=CHARTS,
            alts=ALT_TEXT,
        )

    def chart(request: Request, session: Session, found: Who, page: Page) -> Response:
        from storage.statistics import weekly_stats

        name = request.path_params["name"].removesuffix(".png")
        if name not in CHARTS:
            return refused(request, "missing", 404)
        stats = weekly_stats(session=session, community=found.community, now=clock.now())
        return Response(draw_chart(name, stats, page.lang), media_type="image/png")

    # --- members ---------------------------------------------------------------------------

    def members(request: Request, session: Session, found: Who, page: Page) -> Response:
        query = request.query_params.get("q", "")[:80].strip()
        cid = found.community.id or 0
        chats = member_chats(session=session, community_id=cid)
        rows = []
        for member in members_of(session=session, community_id=cid):
            names = f"{member.display_name} {member.business_name or ''} {member.area or ''}"
            if query and query.casefold() not in names.casefold():
                continue
            identities = chats.get(member.id or 0, [])
            rows.append(
                {
                    "member": member,
                    "role": page.t(ROLE_TEXT[Role(member.role)]),
                    "channels": ", ".join(
                        sorted(
                            page.t(CHANNEL_TEXT[i.channel])
                            for i in identities
                            if i.channel in CHANNEL_TEXT
                        )
                    ),
                    "unreachable": bool(identities) and all(i.unreachable_at for i in identities),
                    "coordinator": member.role == Role.COORDINATOR,
                }
            )
        return show(page, request, found, "dash_members.html", "members", rows=rows, query=query)

    async def member_role(
        request: Request, ctx: Context, fields: dict[str, str]
    ) -> tuple[list[str], str]:
        assert ctx.community is not None
        raw = request.path_params["member_id"]
        member = ctx.session.get(Member, int(raw)) if raw.isdigit() else None
        if member is None or member.community_id != ctx.community.id:  # another community's
            return [ctx.t("dashboard.members.unknown")], "/dasbor/anggota"
        if fields.get("role") == "coordinator":
            return texts([make_coordinator(ctx, member)]), "/dasbor/anggota"
        return texts([step_down(ctx, member)]), "/dasbor/anggota"

    # --- products ----------------------------------------------------------------------------

    def products(request: Request, session: Session, found: Who, page: Page) -> Response:
        cid = found.community.id or 0
        ctx = context(session, found, page)

        def row(product: Any) -> dict[str, Any]:
            seller = session.get(Member, product.seller_id)
            return {
                "product": product,
                "label": product_label(product),
                "price": price_text(ctx, product.price) if ctx else "",
                "status": status_text(ctx, product.status) if ctx else product.status,
                "seller": seller.business_name or seller.display_name if seller else "",
            }

        return show(
            page,
            request,
            found,
            "dash_products.html",
            "products",
            pending=[row(p) for p in pending_products(session=session, community_id=cid)],
            listed=[row(p) for p in reviewable_products(session=session, community_id=cid)],
        )

    async def product_action(
        request: Request, ctx: Context, fields: dict[str, str]
    ) -> tuple[list[str], str]:
        assert ctx.community is not None
        name = request.path_params["action"]
        raw = request.path_params["product_id"]
        if name not in PRODUCT_ACTIONS or not raw.isdigit():
            return [ctx.t("dashboard.products.unknown")], "/dasbor/produk"
        command, needs_reason = PRODUCT_ACTIONS[name]
        reason = " ".join(fields.get("reason", "").split())
        if needs_reason and not reason:
            return [ctx.t("dashboard.products.needs_reason")], "/dasbor/produk"
        # the chat command itself: `/setujui 12`, `/sembunyikan 12 alasan`, ...
        replies = await command(incoming(ctx), ctx, f"{raw} {reason}".strip())
        return texts(replies), "/dasbor/produk"

    # --- events ------------------------------------------------------------------------------

    def events(request: Request, session: Session, found: Who, page: Page) -> Response:
        community = found.community
        rows = []
        for occurrence in upcoming(
            session, community.id or 0, now=clock.now(), zone=community.timezone
        ):
            answers = occurrence_rsvps(
                session=session, event=occurrence.event, occurrence=occurrence.original
            )
            going = [m for r, m in answers if r.answer == RsvpAnswer.HADIR and not r.waitlisted]
            waiting = [m for r, m in answers if r.answer == RsvpAnswer.HADIR and r.waitlisted]
            maybe = [m for r, m in answers if r.answer == RsvpAnswer.MUNGKIN]
            titip = occurrence_consignments(
                session=session,
                community_id=community.id or 0,
                event_id=occurrence.event.id or 0,
                occurrence=occurrence.original,
            )
            rows.append(
                {
                    "occurrence": occurrence,
                    "when": short_date(
                        occurrence.starts_at, lang=page.lang, zone=community.timezone
                    ),
                    "going": going,
                    "waiting": waiting,
                    "maybe": maybe,
                    "titip": [
                        {
                            "product": product_label(product),
                            "seller": seller.business_name or seller.display_name,
                            "quantity": row.quantity,
                            "carrier": session.get(Member, row.carrier_id)
                            if row.carrier_id
                            else None,
                        }
                        for row, product, seller in titip
                    ],
                }
            )
        return show(page, request, found, "dash_events.html", "events", rows=rows)

    # --- announcements -----------------------------------------------------------------------

    def announcements(request: Request, session: Session, found: Who, page: Page) -> Response:
        cid = found.community.id or 0
        from sqlmodel import col, select

        recent = session.exec(
            select(Announcement)
            .where(col(Announcement.community_id) == cid)
            .order_by(col(Announcement.id).desc())
            .limit(20)
        ).all()
        events_soon = upcoming(session, cid, now=clock.now(), zone=found.community.timezone)
        return show(
            page,
            request,
            found,
            "dash_announce.html",
            "announce",
            recent=recent,
            scheduled={a.id for a in scheduled_announcements(session=session, community_id=cid)},
            events=events_soon,
            audiences=AUDIENCES,
            when=lambda a: short_date(
                a.scheduled_for, lang=page.lang, zone=found.community.timezone
            ),
        )

    def draft_of(fields: dict[str, str]) -> AnnounceData | None:
        text = fields.get("text", "").strip()[:MAX_TEXT]
        audience = fields.get("audience", AnnouncementAudience.EVERYONE)
        if not text or audience not in AUDIENCES:
            return None
        event = fields.get("event", "")
        event_id = (
            int(event) if audience == AnnouncementAudience.EVENT and event.isdigit() else None
        )
        if audience == AnnouncementAudience.EVENT and event_id is None:
            return None
        return AnnounceData(text=text, audience=audience, event_id=event_id, audience_set=True)

    async def announce_preview(request: Request) -> Response:
        page = Page(request)
        fields = await form(request)
        with open_session() as session:
            found = who(request, session)
            if found is None:
                return refused(request, "login")
            if not csrf_valid(secret, found.cookie, fields.get("csrf")):
                return refused(request, "csrf")
            ctx = context(session, found, page)
            data = draft_of(fields)
            if ctx is None or data is None:
                return refused(request, "form", 400)
            numbers = preview_numbers(ctx, data)
            shown = announcement_message(page.lang, found.community, data.text, None)
            response = show(
                page,
                request,
                found,
                "dash_announce_preview.html",
                "announce",
                data=data,
                total=numbers.total,
                lines=preview_lines(ctx, data, numbers),
                shown=shown.text,
            )
            session.rollback()  # a preview reads; nothing it touched is kept
        response.headers["Cache-Control"] = "no-store"
        return response

    async def announce_send(
        request: Request, ctx: Context, fields: dict[str, str]
    ) -> tuple[list[str], str]:
        data = draft_of(fields)
        if data is None:
            return [ctx.t("dashboard.announce.incomplete")], "/dasbor/pengumuman"
        if fields.get("do") == "send":
            row, reply = send_now(ctx, data)  # /umumkan's "Kirim sekarang"
            return [reply.text], f"/dasbor/pengumuman/{row.id}"
        _, reply = schedule(ctx, data, fields.get("when", "")[:80])
        return [reply.text], "/dasbor/pengumuman"

    def announcement(request: Request, session: Session, found: Who, page: Page) -> Response:
        raw = request.path_params["announcement_id"]
        row = (
            find_announcement(
                session=session, community_id=found.community.id or 0, announcement_id=int(raw)
            )
            if raw.isdigit() and len(raw) < 12
            else None
        )
        if row is None:
            return refused(request, "missing", 404)
        counts = broadcast_counts(
            session=session, community_id=found.community.id or 0, announcement_id=row.id or 0
        )
        running = (
            row.started_at is not None
            and row.cancelled_at is None
            and (counts.open > 0 or row.finished_at is None)
        )
        return show(
            page,
            request,
            found,
            "dash_announcement.html",
            "announce",
            row=row,
            counts=counts,
            report=report_text(page.lang, row, counts).split("\n"),
            running=running and counts.open > 0,
            shown=announcement_message(page.lang, found.community, row.text, None).text,
            when=short_date(row.scheduled_for, lang=page.lang, zone=found.community.timezone),
        )

    # --- digests -------------------------------------------------------------------------------

    def digests(request: Request, session: Session, found: Who, page: Page) -> Response:
        from jobs.digest import load_edition, plan_digests

        now = clock.now()
        edition = load_edition(session, found.community, now)
        plans = list(plan_digests(session, found.community, now, edition=edition, skip_done=False))
        return show(
            page,
            request,
            found,
            "dash_digests.html",
            "digests",
            plans=plans[:100],
            total=len(plans),
            channel=lambda c: page.t(CHANNEL_TEXT[c]) if c in CHANNEL_TEXT else c,
        )

    # --- settings ------------------------------------------------------------------------------

    def settings_page(request: Request, session: Session, found: Who, page: Page) -> Response:
        ctx = context(session, found, page)
        if ctx is None:
            return refused(request, "login")
        rows = [
            {
                "name": setting.names[0],
                "value": setting.show(ctx, found.community),
                "line": ctx.t(setting.line, value=setting.show(ctx, found.community), cmd="/atur"),
            }
            for setting in SETTINGS
        ]
        return show(
            page,
            request,
            found,
            "dash_settings.html",
            "settings",
            rows=rows,
            approval_on=found.community.approval_required,
        )

    async def settings_change(
        request: Request, ctx: Context, fields: dict[str, str]
    ) -> tuple[list[str], str]:
        assert ctx.community is not None
        name = fields.get("setting", "")
        value = fields.get("value", "").strip()[:200]
        if name == "approval":  # PERSETUJUAN on|off, the chat command itself
            replies = await approval(incoming(ctx), ctx, "on" if value == "on" else "off")
            return texts(replies), "/dasbor/pengaturan"
        setting = next((s for s in SETTINGS if s.names[0] == name), None)
        if setting is None or not value:
            return [ctx.t("dashboard.settings.needs_value")], "/dasbor/pengaturan"
        return texts([setting.change(ctx, ctx.community, value)]), "/dasbor/pengaturan"

    return [
        Route("/dasbor/masuk/{token}", login, methods=["GET"]),
        Route("/dasbor/keluar", logout, methods=["POST"]),
        Route("/dasbor", page_view(overview), methods=["GET"]),
        Route("/dasbor/grafik/{name}", page_view(chart), methods=["GET"]),
        Route("/dasbor/anggota", page_view(members), methods=["GET"]),
        Route("/dasbor/anggota/{member_id}/peran", action(member_role), methods=["POST"]),
        Route("/dasbor/produk", page_view(products), methods=["GET"]),
        Route("/dasbor/produk/{product_id}/{action}", action(product_action), methods=["POST"]),
        Route("/dasbor/acara", page_view(events), methods=["GET"]),
        Route("/dasbor/pengumuman", page_view(announcements), methods=["GET"]),
        Route("/dasbor/pengumuman/pratinjau", announce_preview, methods=["POST"]),
        Route("/dasbor/pengumuman/kirim", action(announce_send), methods=["POST"]),
        Route("/dasbor/pengumuman/{announcement_id}", page_view(announcement), methods=["GET"]),
        Route("/dasbor/ringkasan", page_view(digests), methods=["GET"]),
        Route("/dasbor/pengaturan", page_view(settings_page), methods=["GET"]),
        Route("/dasbor/pengaturan", action(settings_change), methods=["POST"]),
    ]
