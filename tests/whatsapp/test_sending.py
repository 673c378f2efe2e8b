"""Outbox messages over WhatsApp: the 24-hour window, templates, rate limits, bad numbers."""

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.app import Core
from bot.channels.whatsapp import WhatsAppChannel
from handlers.clock import ManualClock
from handlers.messages import Button, Reply
from storage.db import transaction
from storage.models import Member
from tests.factories import Transcript
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.whatsapp.conftest import NOTICE, PUBLIC, SARI, TEMPLATE_NOTICE, Phone, queue, row


async def test_in_window_notice_is_a_session_message(
    core: Core, member: Member, api: FakeTwilioAPI, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=23))
    key = queue(core, member, Reply(NOTICE))
    assert (await core.drain()).counts == {"sent": 1}
    [sent] = api.messages
    assert sent.to == f"whatsapp:{SARI}" and sent.body == NOTICE and sent.content_sid is None
    assert sent.status_callback == f"{PUBLIC}/whatsapp/status"
    done = row(core, key)
    assert done.status == "sent" and done.provider_message_id == sent.sid
    assert done.channel == "whatsapp"


async def test_outside_the_window_a_notice_uses_its_template(
    core: Core, member: Member, api: FakeTwilioAPI, clock: ManualClock
) -> None:
    api.outside_window(SARI)  # Twilio would refuse free-form text now
    clock.advance(timedelta(hours=25))
    key = queue(core, member, Reply(NOTICE))
    assert (await core.drain()).counts == {"sent": 1}
    [sent] = api.messages
    assert sent.content_sid == TEMPLATE_NOTICE and sent.body is None
    assert sent.content_variables == {
        "1": "Ada yang tertarik dengan Keripik Tempe Anda! · Hubungi Pak Budi."
    }
    assert sent.status_callback == f"{PUBLIC}/whatsapp/status"
    assert row(core, key).provider_message_id == sent.sid


async def test_template_variables_come_from_the_reply_extra(
    core: Core, member: Member, api: FakeTwilioAPI, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=25))
    queue(core, member, Reply(NOTICE, extra={"1": "Bu Sari", "2": "Keripik Tempe"}))
    await core.drain()
    assert api.messages[0].content_variables == {"1": "Bu Sari", "2": "Keripik Tempe"}


async def test_a_long_text_is_trimmed_to_one_template_variable(
    core: Core, member: Member, api: FakeTwilioAPI, clock: ManualClock
) -> None:
    clock.advance(timedelta(days=3))
    queue(core, member, Reply("kata " * 400))
    await core.drain()
    [variable] = api.messages[0].content_variables.values()  # type: ignore[union-attr]
    assert len(variable) == 1024 and variable.endswith("…")


@pytest.mark.parametrize("template_notice", [None])
async def test_outside_the_window_without_a_template_the_row_needs_one(
    core: Core, member: Member, api: FakeTwilioAPI, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=25))
    key = queue(core, member, Reply(NOTICE))
    assert (await core.drain()).counts == {"needs_template": 1}
    assert api.attempts == []
    assert row(core, key).status == "needs_template"


async def test_digest_without_its_own_template_needs_one_even_if_notices_have_one(
    core: Core, member: Member, api: FakeTwilioAPI, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=25))
    key = queue(core, member, Reply("Produk baru minggu ini"), kind="digest")
    await core.drain()
    assert row(core, key).status == "needs_template" and api.attempts == []


async def test_the_last_minutes_of_the_window_go_straight_to_the_template(
    core: Core, member: Member, api: FakeTwilioAPI, clock: ManualClock
) -> None:
    """23 h 57 min after her message: we saw it a little after WhatsApp did, so don't risk it."""
    clock.advance(timedelta(hours=23, minutes=57))
    queue(core, member, Reply(NOTICE))
    assert (await core.drain()).counts == {"sent": 1}
    assert [(a.http_status, a.content_sid) for a in api.attempts] == [(201, TEMPLATE_NOTICE)]


async def test_twilio_saying_the_window_closed_falls_back_to_the_template(
    core: Core, member: Member, api: FakeTwilioAPI, clock: ManualClock
) -> None:
    """By our clock she wrote 20 h ago, yet Twilio answers 63016: resend as the template."""
    api.outside_window(SARI)
    clock.advance(timedelta(hours=20))
    queue(core, member, Reply(NOTICE))
    assert (await core.drain()).counts == {"sent": 1}
    assert [(a.error_code, a.content_sid) for a in api.attempts] == [
        (63016, None),
        (None, TEMPLATE_NOTICE),
    ]


@pytest.mark.parametrize("template_notice", [None])
async def test_window_closed_early_without_template_needs_one(
    core: Core, member: Member, api: FakeTwilioAPI, clock: ManualClock
) -> None:
    api.outside_window(SARI)
    key = queue(core, member, Reply(NOTICE))
    assert (await core.drain()).counts == {"needs_template": 1}
    assert row(core, key).status == "needs_template"


async def test_rate_limit_is_retried_after_backoff(
    core: Core, member: Member, api: FakeTwilioAPI, clock: ManualClock
) -> None:
    api.fail_next(status=429, code=20429)
    key = queue(core, member, Reply(NOTICE))
    assert (await core.drain()).counts == {"retry": 1}
    waiting = row(core, key)
    assert waiting.status == "pending" and waiting.attempts == 1
    assert (await core.drain()).counts == {}  # not due yet
    clock.advance(timedelta(seconds=31))
    assert (await core.drain()).counts == {"sent": 1}
    assert [m.body for m in api.messages] == [NOTICE]
    assert row(core, key).status == "sent"


async def test_invalid_number_marks_the_identity_unreachable(
    sari: Phone, core: Core, member: Member, api: FakeTwilioAPI
) -> None:
    api.fail_to(SARI)  # 400 / 21211
    key = queue(core, member, Reply(NOTICE))
    assert (await core.drain()).counts == {"failed": 1}  # no other app reaches her
    identity = sari.identity(core)
    assert identity is not None and identity.unreachable_at is not None
    assert "21211" in (identity.unreachable_reason or "")
    assert SARI not in (identity.unreachable_reason or "")
    failed = row(core, key)
    assert (failed.status, failed.error_code) == ("failed", "21211") and api.messages == []
    assert (await core.drain()).counts == {}


async def test_a_notice_with_a_photo_links_our_media_url(
    core: Core, member: Member, api: FakeTwilioAPI
) -> None:
    with transaction(core.open_session) as session:
        media = core.media.save(
            session=session, data=b"\x89PNG keripik", content_type="image/png", now=core.clock.now()
        )
    queue(core, member, Reply("Produk baru: Keripik Tempe", media=(media.id,)))
    await core.drain()
    [sent] = api.messages
    assert sent.media_url == [f"{PUBLIC}/media/{media.id}"]
    assert sent.body == "Produk baru: Keripik Tempe"


async def test_a_long_notice_is_split_on_line_breaks(
    core: Core, member: Member, api: FakeTwilioAPI
) -> None:
    lines = [f"{i}. Produk nomor {i} — Rp15.000" for i in range(1, 81)]
    key = queue(core, member, Reply("\n".join(lines)))
    await core.drain()
    bodies = [m.body or "" for m in api.messages]
    assert len(bodies) == 2 and all(len(b) <= 1600 for b in bodies)
    assert "\n".join(bodies).splitlines() == lines  # nothing lost, no line cut in half
    assert row(core, key).provider_message_id == api.messages[0].sid


async def test_a_notices_numbered_buttons_can_be_answered_by_number(
    chat: Transcript, core: Core, member: Member, api: FakeTwilioAPI
) -> None:
    queue(core, member, Reply("Pengumuman rapat Sabtu.", buttons=(Button("Lihat menu", "/menu"),)))
    await core.drain()
    assert api.messages[0].body == "Pengumuman rapat Sabtu.\n\n1. Lihat menu"
    [menu] = await chat.bodies("Sari", "1")
    assert "KBA 13 Ulu" in menu


async def test_json_of_content_variables_keeps_indonesian_text(
    core: Core, member: Member, api: FakeTwilioAPI, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=30))
    queue(core, member, Reply("Rapat di balai warga 🏠"))
    await core.drain()
    raw = api.messages[0].form["ContentVariables"][0]
    assert json.loads(raw) == {"1": "Rapat di balai warga 🏠"} and "🏠" in raw


async def test_a_later_part_hit_by_a_rate_limit_is_retried_alone(
    core: Core,
    member: Member,
    api: FakeTwilioAPI,
    channel: WhatsAppChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Retrying the whole outbox row would send its first part twice."""
    channel.sender.later_part_delays = (0,)
    create = channel.sender.create

    async def create_then_limit(*args: Any, **kwargs: Any) -> str:
        sid = await create(*args, **kwargs)
        if len(api.messages) == 1:
            api.fail_next(status=429, code=20429)  # Twilio turns down the second part
        return sid

    monkeypatch.setattr(channel.sender, "create", create_then_limit)
    lines = [f"{i}. Produk nomor {i} — Rp15.000" for i in range(1, 81)]
    key = queue(core, member, Reply("\n".join(lines)))
    assert (await core.drain()).counts == {"sent": 1}
    assert [a.http_status for a in api.attempts] == [201, 429, 201]
    assert "\n".join(m.body or "" for m in api.messages).splitlines() == lines  # each part once
    assert row(core, key).provider_message_id == api.messages[0].sid


async def test_after_stop_the_outbox_waits_instead_of_opening_a_new_session(
    core: Core, member: Member, api: FakeTwilioAPI, channel: WhatsAppChannel
) -> None:
    await channel.stop()
    key = queue(core, member, Reply(NOTICE))
    assert (await core.drain()).counts == {"retry": 1}
    assert channel.sender._connection is None and api.attempts == []
    assert row(core, key).status == "pending"
    await channel.start()  # the fixture stops it again
