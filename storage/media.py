"""The media store: photos and documents kept once by the bot, addressed by an unguessable id.

A document (say a member's data export) keeps its file name: it is stored as
`<shard>/<id>/<file name>`, so channels can send it under that name.
"""

import contextlib
import hashlib
import secrets
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from storage.models import Media

__all__ = ["MediaStore", "is_photo"]

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "application/json": ".json",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}


def is_photo(media: Media) -> bool:
    """Photos are shown as pictures; anything else is sent as a document."""
    return media.content_type.startswith("image/")


class MediaStore:
    """Files in a local folder, rows in the `media` table; the same bytes are kept once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(
        self,
        *,
        session: Session,
        data: bytes,
        content_type: str,
        now: datetime,
        community_id: int | None = None,
        telegram_file_id: str | None = None,
        member_id: int | None = None,
        filename: str | None = None,
    ) -> Media:
        """Keep `data` (or find the copy already kept) and return its row.

        `member_id` marks a file that is one member's personal data (erased with them);
        `filename` keeps the name a document is sent under.
        """
        digest = hashlib.sha256(data).hexdigest()
        existing = session.exec(select(Media).where(Media.sha256 == digest)).first()
        if existing is not None:
            if telegram_file_id and not existing.telegram_file_id:
                existing.telegram_file_id = telegram_file_id
                session.add(existing)
            return existing
        media_id = secrets.token_urlsafe(16)
        extension = EXTENSIONS.get(content_type, ".bin")
        relative = (
            f"{digest[:2]}/{media_id}/{Path(filename).name}"
            if filename
            else f"{digest[:2]}/{media_id}{extension}"
        )
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        media = Media(
            id=media_id,
            community_id=community_id,
            member_id=member_id,
            sha256=digest,
            content_type=content_type,
            size=len(data),
            path=relative,
            telegram_file_id=telegram_file_id,
            created_at=now,
        )
        session.add(media)
        session.flush()
        return media

    def get(self, *, session: Session, media_id: str) -> Media | None:
        """The row of a kept file."""
        return session.get(Media, media_id)

    def by_telegram_file_id(self, *, session: Session, file_id: str) -> Media | None:
        """A photo Telegram already knows, so it is not downloaded twice."""
        return session.exec(select(Media).where(Media.telegram_file_id == file_id)).first()

    def path_of(self, media: Media) -> Path:
        """Where the bytes are on disk."""
        return self.root / media.path

    def file_name(self, media: Media) -> str:
        """The name to send a document under (`guyub-data-2026-12-07.json`)."""
        return Path(media.path).name

    def read(self, media: Media) -> bytes:
        """The bytes of a kept file."""
        return self.path_of(media).read_bytes()

    def drop_member_files(self, *, session: Session, member_id: int) -> list[str]:
        """Delete the rows of a member's own files (an earlier data export); returns their
        paths, for `delete_files` once the transaction has committed."""
        rows = session.exec(select(Media).where(Media.member_id == member_id)).all()
        for row in rows:
            session.delete(row)
        session.flush()
        return [row.path for row in rows]

    def delete_files(self, relative_paths: list[str]) -> None:
        """Remove files whose rows are gone (after a data erasure)."""
        for relative in relative_paths:
            path = self.root / relative
            path.unlink(missing_ok=True)
            if len(Path(relative).parts) == 3:  # a named document's own folder
                with contextlib.suppress(OSError):
                    path.parent.rmdir()
