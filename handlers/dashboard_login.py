"""`DASBOR` (English `DASHBOARD`): a coordinator asks for the web dashboard and gets a link
that works once, within ten minutes (no passwords: the chat app is the proof of who it is).

The link opens `/dasbor/masuk/<token>` on this server (PUBLIC_BASE_URL, or the address the
web server listens on); bot/site/auth.py turns it into a session cookie.
"""

from collections.abc import Sequence

from handlers.context import Context, Options
from handlers.messages import Incoming, Reply
from handlers.registry import REGISTRY
from storage.dashboard import LOGIN_TTL, issue_login
from storage.models import Role

__all__ = ["LOGIN_PATH", "dashboard_link"]

LOGIN_PATH = "/dasbor/masuk/"


def dashboard_link(options: Options, token: str) -> str:
    """The full one-time address for a token."""
    base = (options.public_base_url or options.web_base_url or "").rstrip("/")
    return f"{base}{LOGIN_PATH}{token}"


@REGISTRY.command("dashboard", slash=("dasbor", "dashboard"), role=Role.COORDINATOR, en="dashboard")
async def dashboard(msg: Incoming, ctx: Context, rest: str) -> Sequence[Reply]:
    """DASBOR: a one-time link to the coordinator dashboard on the web."""
    assert ctx.community is not None and ctx.member is not None
    token = issue_login(
        session=ctx.session,
        community_id=ctx.community.id or 0,
        member_id=ctx.member.id or 0,
        now=ctx.now,
    )
    minutes = int(LOGIN_TTL.total_seconds() // 60)
    link = dashboard_link(ctx.options, token)
    return [ctx.reply("dashboard.login.link", link=link, minutes=minutes)]
