"""Checking a link code before it is used: wrong codes are counted, guessers wait."""

import math

from handlers.context import Context
from handlers.messages import Incoming, Reply
from storage.links import find_link_code, link_wait, record_wrong_code

__all__ = ["check_link_code"]


def check_link_code(ctx: Context, msg: Incoming, code: str) -> tuple[int, Reply | None]:
    """(member id, None) for a valid code, else (0, the reply): a wrong code, or a wait.

    The code is not used up here; after 5 wrong codes in an hour a person is asked to
    wait, and no code is looked at (not even a right one) until the hour has passed.
    """
    session, channel, address, now = ctx.session, str(msg.channel), msg.address, ctx.now
    wait = link_wait(session=session, channel=channel, address=address, now=now)
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        return 0, ctx.reply("link.wait", minutes=minutes)
    member_id = find_link_code(session=session, code=code, now=now)
    if member_id is None:
        record_wrong_code(session=session, channel=channel, address=address, now=now)
        return 0, ctx.reply("link.bad_code", code=code)
    return member_id, None
