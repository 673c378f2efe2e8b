"""The coordinator dashboard in a real Chromium against `guyub run`: Pak RT sends DASBOR on
WhatsApp (a signed webhook), the link is read from the outbox, the browser logs in, approves
a product, composes and sends an announcement and watches its report; a reused link, a
forged CSRF token and a cookie naming another community are refused. axe-core finds nothing
serious; screenshots go to tests/artifacts/ (and one to docs/screenshots/dashboard.png)."""

import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlmodel import select
from twilio.request_validator import RequestValidator

from bot.site.auth import COOKIE, load_secret, sign_session
from storage.db import make_engine, session_factory, transaction
from storage.models import Member, Product, ProductStatus
from tests.browser.conftest import (
    PHONE,
    REPO,
    LiveGuyub,
    chromium_path,
    screenshot,
    serious_violations,
)
from tests.processes import whatsapp_form
from tests.site.market import OTHER_PHONE, RT_PHONE, SITI_PHONE

LINK = re.compile(r"(http://[^\s\"]+/dasbor/masuk/[\w-]+)")
PENDING_TITLE = "Kemplang panggang"


@pytest.fixture(scope="module")
def dashboard_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGuyub]:
    """`guyub run` on the market plus one product waiting for approval."""
    chromium_path()
    guyub = LiveGuyub(tmp_path_factory.mktemp("dash"))
    engine = make_engine(guyub.settings["DATABASE_URL"])
    with transaction(session_factory(engine)) as session:
        siti = session.exec(select(Member).where(Member.phone == SITI_PHONE)).one()
        now = siti.created_at
        session.add(
            Product(
                community_id=siti.community_id,
                seller_id=siti.id or 0,
                title=PENDING_TITLE,
                price=20000,
                category="kuliner",
                status=ProductStatus.PENDING_APPROVAL,
                created_at=now,
                updated_at=now,
                last_confirmed_at=now,
            )
        )
    engine.dispose()
    guyub.start()
    try:
        yield guyub
    finally:
        guyub.stop()


def ask_for_link(live: LiveGuyub, number: str, sid: str, *, besides: str = "") -> str:
    """DASBOR on WhatsApp (signed as Twilio signs it); the link from the reply's outbox row
    (the newest one that is not `besides`, a link already taken)."""
    form = whatsapp_form(
        sid=sid,
        number=number,
        text="DASBOR",
        account_sid=live.settings["TWILIO_ACCOUNT_SID"],
        bot_number=live.settings["TWILIO_WHATSAPP_FROM"],
    )

    signature = RequestValidator(live.settings["TWILIO_AUTH_TOKEN"]).compute_signature(
        f"{live.base_url}/whatsapp", form
    )
    answer = httpx.post(
        f"{live.base_url}/whatsapp",
        content=urlencode(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    )
    assert answer.status_code == 200
    database = live.folder / "guyub.db"
    for _ in range(100):
        with sqlite3.connect(database) as db:
            rows = db.execute(
                "SELECT payload FROM outbox WHERE address = ? AND kind = 'reply' ORDER BY id DESC",
                (number,),
            ).fetchall()
        for (payload,) in rows:
            found = LINK.search(payload)
            if found and found.group(1) != besides:
                return found.group(1)
        time.sleep(0.1)  # the other process handles the webhook: nothing to await here
    raise AssertionError("no dashboard link in the outbox")


def test_log_in_approve_announce_and_the_refusals(
    browser: Any, dashboard_live: LiveGuyub, axe_script: Path
) -> None:
    live = dashboard_live
    link = ask_for_link(live, RT_PHONE, "SM" + "d" * 32)
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="id-ID"
    )
    page = context.new_page()
    try:
        page.goto(link)
        page.wait_for_url("**/dasbor?lang=id")
        assert page.locator("h1").inner_text() == "KBA 13 Ulu"
        page.wait_for_function(
            "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot = screenshot(page, "dashboard")
        (REPO / "docs" / "screenshots").mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, REPO / "docs" / "screenshots" / "dashboard.png")
        assert serious_violations(page, axe_script) == []

        # the link is spent: another browser opening it gets the friendly refusal
        other = browser.new_context(viewport=PHONE, locale="id-ID")
        reused = other.new_page().goto(link)
        assert reused is not None and reused.status == 403

        # a link past its 10 minutes (aged in the database: the live process keeps real
        # time) is refused the same way, and says so
        late = ask_for_link(live, RT_PHONE, "SM" + "e" * 32, besides=link)
        with sqlite3.connect(live.folder / "guyub.db") as db:
            db.execute(
                "UPDATE dashboardlogin SET expires_at = '2000-01-01 00:00:00.000000'"
                " WHERE used_at IS NULL"
            )
        expired = other.new_page()
        answer = expired.goto(late)
        assert answer is not None and answer.status == 403
        assert "kedaluwarsa" in expired.locator("h1").inner_text().lower()
        other.close()

        # approve the waiting product
        page.get_by_role("link", name="Produk", exact=True).click()
        page.get_by_role("button", name=re.compile(f"^Setujui #\\d+ {PENDING_TITLE}$")).click()
        page.wait_for_url("**/dasbor/produk**")
        assert "disetujui" in page.locator(".note").inner_text().lower()
        screenshot(page, "dashboard-products")
        assert serious_violations(page, axe_script) == []

        # a forged CSRF token changes nothing
        page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(i => i.value='x')")
        forged = page.locator("form.reason button").first
        page.locator("form.reason input[name=reason]").first.fill("coba")
        with page.expect_navigation() as answer:
            forged.click()
        assert answer.value is not None and answer.value.status == 403
        assert page.locator("h1").inner_text() == "Formulir kedaluwarsa"

        # compose, preview and send an announcement; watch its report
        page.goto(f"{live.base_url}/dasbor/pengumuman")
        page.get_by_label("Teks pengumuman").fill("Bazar Minggu pagi di balai RT")
        page.get_by_role("button", name="Lihat pratinjau").click()
        assert "Akan diterima" in page.content()
        screenshot(page, "dashboard-announce-preview")
        assert serious_violations(page, axe_script) == []
        page.get_by_role("button", name="Kirim sekarang").click()
        page.wait_for_url("**/dasbor/pengumuman/*")
        report = page.locator("#report")
        assert "Pengumuman #1" in page.locator("h2").first.inner_text()
        assert "Penerima" in report.inner_text() or "4" in report.inner_text()
        screenshot(page, "dashboard-announcement")
        assert serious_violations(page, axe_script) == []

        for path, name in (
            ("/dasbor/anggota", "dashboard-members"),
            ("/dasbor/acara", "dashboard-events"),
            ("/dasbor/ringkasan", "dashboard-digests"),
            ("/dasbor/pengaturan", "dashboard-settings"),
        ):
            page.goto(f"{live.base_url}{path}")
            screenshot(page, name)
            assert serious_violations(page, axe_script) == [], path
    finally:
        context.close()

    # a cookie that names another community (signed with the server's secret) is refused
    engine = make_engine(live.settings["DATABASE_URL"])
    with session_factory(engine)() as session:
        rt = session.exec(select(Member).where(Member.phone == RT_PHONE)).one()
        tono = session.exec(select(Member).where(Member.phone == OTHER_PHONE)).one()
        status = session.exec(select(Product.status).where(Product.title == PENDING_TITLE)).one()
    engine.dispose()
    assert status == ProductStatus.ACTIVE
    secret = load_secret(None, Path(live.settings["MEDIA_DIR"]))
    crossed = sign_session(
        secret, community_id=tono.community_id, member_id=rt.id or 0, now=datetime.now(UTC)
    )
    answer = httpx.get(f"{live.base_url}/dasbor", cookies={COOKIE: crossed})
    assert answer.status_code == 403
