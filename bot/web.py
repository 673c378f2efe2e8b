"""The one ASGI app of the process: health, media, and every channel's webhook routes."""

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storage.db import SessionFactory
from storage.media import MediaStore, is_photo

__all__ = ["build_web_app"]


def build_web_app(
    *, open_session: SessionFactory, media: MediaStore, routes: Sequence[BaseRoute] = ()
) -> Starlette:
    """Starlette app with /healthz, /media/<id>, and the channels' routes."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

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
            Route("/media/{media_id}", media_file, methods=["GET"]),
            *routes,
        ]
    )
