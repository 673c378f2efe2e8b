"""The one ASGI app of the process: health, media, and every channel's webhook routes."""

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storage.db import SessionFactory
from storage.media import MediaStore, is_photo

__all__ = ["build_web_app", "readiness"]

Readiness = Callable[[], dict[str, Any]]


def readiness(engine: Engine, role: str, leading: bool, running: bool = True) -> dict[str, Any]:
    """What /readyz reports: the database answers, its schema is this code's, the role runs.

    `ready` is False when the database cannot be reached or is at another revision; a
    standing-by scheduler is ready (it is doing its job: waiting to take over).
    """
    from storage.db import current_revision, head_revision

    report: dict[str, Any] = {"role": role, "running": running, "leader": leading}
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = current_revision(engine)
    except Exception as error:
        report.update(ready=False, database=f"unreachable: {type(error).__name__}")
        return report
    head = head_revision()
    report.update(
        database="ok", schema=current, schema_needed=head, ready=current == head and running
    )
    return report


def build_web_app(
    *,
    open_session: SessionFactory,
    media: MediaStore,
    routes: Sequence[BaseRoute] = (),
    ready: Readiness | None = None,
) -> Starlette:
    """Starlette app with /healthz (up), /readyz (able to work), /media/<id>, and the
    channels' routes."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if ready is None:
            return JSONResponse({"ready": True})
        report = await asyncio.to_thread(ready)
        return JSONResponse(report, status_code=200 if report["ready"] else 503)

    async def media_file(request: Request) -> Response:
        media_id = request.path_params["media_id"]
        with open_session() as session:
            row = media.get(session=session, media_id=media_id)
        if row is None or not media.path_of(row).is_file():
            return Response(status_code=404)
        # a stored file is only ever shown as the type it was saved with
        headers = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}
        if row.member_id is not None:  # one person's file (a data export): no shared caches
            headers["Cache-Control"] = "private, no-store"
        return FileResponse(
            media.path_of(row),
            media_type=row.content_type,
            headers=headers,
            filename=None if is_photo(row) else media.file_name(row),  # saved, not shown
        )

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/media/{media_id}", media_file, methods=["GET"]),
            *routes,
        ]
    )
