"""The shared web app: health and media."""

from datetime import UTC, datetime
from pathlib import Path

import httpx

from bot.web import build_web_app
from storage.db import make_engine, prepare, session_factory
from storage.media import MediaStore


async def test_health_and_media(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    prepare(engine)
    open_session = session_factory(engine)
    store = MediaStore(tmp_path / "media")
    with open_session() as session:
        media = store.save(
            session=session,
            data=b"\x89PNG..",
            content_type="image/png",
            now=datetime(2026, 12, 7, tzinfo=UTC),
        )
        same = store.save(
            session=session,
            data=b"\x89PNG..",
            content_type="image/png",
            now=datetime(2026, 12, 7, tzinfo=UTC),
        )
        session.commit()
    assert same.id == media.id and len(media.id) >= 20
    app = build_web_app(open_session=open_session, media=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/healthz")).json() == {"status": "ok"}
        photo = await c.get(f"/media/{media.id}")
        assert photo.status_code == 200 and photo.content == b"\x89PNG.."
        assert photo.headers["content-type"] == "image/png"
        assert (await c.get("/media/not-a-real-id")).status_code == 404
        assert (await c.get("/media/..%2F..%2Fetc%2Fpasswd")).status_code == 404
    engine.dispose()
