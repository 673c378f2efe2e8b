"""Who is looking at the dashboard: a signed session cookie, and CSRF tokens bound to it.

Login is a one-time link from chat (storage/dashboard.py). Redeeming it sets one cookie:
`v1.<community>.<member>.<issued unix time>.<random>.<HMAC-SHA256>`, signed with
DASHBOARD_SECRET (or a secret made once and kept in the media folder), HttpOnly,
SameSite=Strict, Secure on https, for twelve hours. Every request checks the signature, the
age and, in the database, that the member still belongs to that community as a coordinator.
A form's CSRF token is an HMAC of the cookie itself: it cannot be made without the secret,
and it changes with every login.
"""

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

__all__ = [
    "COOKIE",
    "SESSION_TTL",
    "SessionCookie",
    "csrf_token",
    "csrf_valid",
    "load_secret",
    "read_cookie",
    "read_note",
    "sign_note",
    "sign_session",
]

COOKIE = "guyub_dasbor"
SESSION_TTL = timedelta(hours=12)
SECRET_FILE = ".dashboard-secret"


def load_secret(configured: str | None, media_dir: Path) -> bytes:
    """DASHBOARD_SECRET, or the one made on the first run and kept (mode 0600) beside the
    media, so cookies outlive a restart without any setup."""
    if configured:
        return configured.encode()
    path = media_dir / SECRET_FILE
    if path.is_file():
        return path.read_bytes().strip()
    media_dir.mkdir(parents=True, exist_ok=True)
    made = secrets.token_urlsafe(32).encode()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(made)
    return made


def _mac(secret: bytes, purpose: str, text: str) -> str:
    digest = hmac.new(secret, f"{purpose}:{text}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True)
class SessionCookie:
    """What a valid cookie says: which coordinator of which community, since when."""

    community_id: int
    member_id: int
    issued_at: datetime
    value: str  # the cookie as sent (CSRF tokens are bound to it)


def sign_session(secret: bytes, *, community_id: int, member_id: int, now: datetime) -> str:
    """A new session cookie's value."""
    body = f"v1.{community_id}.{member_id}.{int(now.timestamp())}.{secrets.token_urlsafe(9)}"
    return f"{body}.{_mac(secret, 'session', body)}"


def read_cookie(secret: bytes, value: str | None, now: datetime) -> SessionCookie | None:
    """The session a cookie names, if its signature holds and it is less than 12 h old."""
    if not value or len(value) > 200:
        return None
    body, _, mac = value.rpartition(".")
    if not hmac.compare_digest(mac, _mac(secret, "session", body)):
        return None
    parts = body.split(".")
    if len(parts) != 5 or parts[0] != "v1" or not all(p.isdigit() for p in parts[1:4]):
        return None
    issued = datetime.fromtimestamp(int(parts[3]), tz=now.tzinfo)
    if not (issued - timedelta(minutes=5) <= now < issued + SESSION_TTL):
        return None
    return SessionCookie(int(parts[1]), int(parts[2]), issued, value)


def csrf_token(secret: bytes, session: SessionCookie) -> str:
    """The token every form of this session carries."""
    return _mac(secret, "csrf", session.value)


def csrf_valid(secret: bytes, session: SessionCookie, token: str | None) -> bool:
    """True when a posted form carries this session's token."""
    return bool(token) and hmac.compare_digest(str(token), csrf_token(secret, session))


def sign_note(secret: bytes, texts: list[str]) -> str:
    """What the last action said, for the page after the redirect (a short signed cookie)."""
    body = base64.urlsafe_b64encode("\x1e".join(texts).encode()[:3000]).decode()
    return f"{body}.{_mac(secret, 'note', body)}"


def read_note(secret: bytes, value: str | None) -> list[str]:
    """The texts of a note cookie, if it is ours."""
    if not value:
        return []
    body, _, mac = value.rpartition(".")
    if not hmac.compare_digest(mac, _mac(secret, "note", body)):
        return []
    try:
        return base64.urlsafe_b64decode(body.encode()).decode(errors="replace").split("\x1e")
    except ValueError:
        return []
