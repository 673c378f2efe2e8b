"""DATAKU over WhatsApp: Twilio sends no JSON files, so the export comes as a private link."""

import json

import httpx

from storage.models import Member
from tests.factories import Transcript
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.whatsapp.conftest import PUBLIC, SARI


async def test_dataku_sends_the_summary_with_a_link_to_the_json_file(
    chat: Transcript, member: Member, api: FakeTwilioAPI, http: httpx.AsyncClient
) -> None:
    bodies = await chat.bodies("Sari", "DATAKU")
    text = "\n".join(bodies)
    assert "Data Anda di Guyub (KBA 13 Ulu)" in text and f"WhatsApp: {SARI}" in text
    assert all(m.media_url == [] for m in api.messages)  # no MediaUrl Twilio would refuse
    link = next(line for line in text.splitlines() if line.startswith("📎 http"))
    path = link.removeprefix(f"📎 {PUBLIC}")
    assert path.startswith("/media/")

    response = await http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "private, no-store"
    assert 'filename="guyub-data-2026-12-07.json"' in response.headers["content-disposition"]
    assert json.loads(response.content)["data"]["profile"][0]["phone"] == SARI
