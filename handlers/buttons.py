"""What `1`, `2` or a button's words mean: the buttons last shown, kept until replaced.

Sticky numbers: a reply without buttons leaves the buttons on screen answerable, so one
wrong answer never makes `2` stop working; new buttons replace them, and they expire after
`BUTTONS_TTL`. The exceptions: a move to another step or flow without buttons (the old
step's buttons would answer a question no longer asked), and a command's yes/no
confirmation (`Ya, hapus` / `Jangan`), which answers only the very next message.

Notices (the daily "masih ada?") are delivered outside a conversation, each with its own
`1. Masih ada / 2. Sudah habis`. Several unanswered ones are gathered (`gather_notice`):
a typed number is then ambiguous, and is answered with one numbered list of all of them
(`#14 Masih ada`, `#14 Sudah habis`, `#15 Masih ada` ...), whose numbers work next. Each
notice also names its command (`MASIHADA 14`, `HABIS 14`), which works on every channel.

The router and the delivery worker only call these functions.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from handlers.answers import is_no, is_yes
from handlers.context import Context
from handlers.messages import Button, Reply
from storage.models import ConversationState

__all__ = [
    "BUTTONS_TTL",
    "Answer",
    "button_answer",
    "gather_notice",
    "remember_buttons",
]

BUTTONS_TTL = timedelta(days=1)
MAX_NUMBER_DIGITS = 3
MAX_GATHERED = 40
"""Buttons kept from gathered notices: 20 products' worth, more than a day ever asks."""

Answer = str | Reply
"""A button's payload, or a reply to send instead (the gathered list of several notices)."""


def live_buttons(state: ConversationState, now: datetime) -> list[list[str]]:
    """The buttons still answerable: shown less than a day ago (older rows: no time known)."""
    if state.buttons_at is not None and now - state.buttons_at > BUTTONS_TTL:
        return []
    return state.buttons


def button_answer(ctx: Context, text: str) -> Answer | None:
    """Map `2`, a button's own words, or a yes/no to a confirm button, to its payload."""
    buttons = live_buttons(ctx.state, ctx.now)
    if not buttons or not text:
        return None
    # isdecimal, not isdigit: int() refuses `²`, and a 5,000-digit number
    gathered = ctx.state.button_notices > 1  # `1` or `Masih ada` could mean any of them
    if text.isdecimal() and len(text) <= MAX_NUMBER_DIGITS and 1 <= int(text) <= len(buttons):
        return gathered_list(ctx, buttons) if gathered else buttons[int(text) - 1][1]
    folded = text.casefold()
    for label, payload in buttons:
        if label.casefold() == folded:
            return gathered_list(ctx, buttons) if gathered else payload
    return None if gathered else _confirm_answer(buttons, text)


def _confirm_answer(buttons: list[list[str]], text: str) -> str | None:
    """`ya` / `tidak` to a command's confirmation (`/hapus 8 ya` + `Jangan`) outside a flow.

    A confirmation is a pair whose first button is a command ending in `ya`; yes picks it,
    no picks the other one (what pressing `Jangan` does). Flows read yes and no themselves.
    """
    if not _is_confirm(buttons):
        return None
    if is_yes(text):
        return buttons[0][1]
    if is_no(text):
        return buttons[1][1]
    return None


def _is_confirm(buttons: list[list[str]]) -> bool:
    return len(buttons) == 2 and buttons[0][1].startswith("/") and buttons[0][1].endswith(" ya")


def gathered_list(ctx: Context, buttons: list[list[str]]) -> Reply:
    """One numbered list of every gathered notice's buttons; its numbers answer next."""
    return ctx.reply(
        "buttons.several_questions",
        count=ctx.state.button_notices,
        buttons=[Button(_with_reference(label, payload), payload) for label, payload in buttons],
    )


def _with_reference(label: str, payload: str) -> str:
    """`Masih ada` on `/masihada 14` -> `#14 Masih ada`, so two notices' buttons differ."""
    words = payload.split()
    if len(words) > 1 and words[1].isascii() and words[1].isdigit():
        return f"#{words[1]} {label}"
    return label


def remember_buttons(
    ctx: Context, replies: Sequence[Reply], before: tuple[str | None, str | None]
) -> None:
    """After a turn: new buttons replace the old; no buttons keep them (same step only).

    `before` is the (flow, step) the person was at when the message arrived.
    """
    state = ctx.state
    shown = [[b.label, b.payload] for r in replies for b in r.buttons]
    moved = (state.flow, state.step) != before
    # A confirmation is not sticky: a yes answers the question just asked, not one from
    # an hour ago (`ok` to a greeting must never delete a product).
    if shown or moved or _is_confirm(state.buttons):
        state.buttons = shown
        state.buttons_at = ctx.now if shown else None
        state.button_notices = 0
    state.data = dict(state.data)  # JSON columns track changes by assignment
    state.updated_at = ctx.now


def gather_notice(state: ConversationState, buttons: Sequence[Button], now: datetime) -> None:
    """A delivered notice's buttons become answerable, next to other unanswered notices'."""
    if state.flow is not None or not buttons:
        return  # mid-flow, the step's buttons keep their numbers
    shown = [[b.label, b.payload] for b in buttons]
    if state.button_notices > 0 and live_buttons(state, now):
        kept = [b for b in state.buttons if b not in shown]
        state.buttons = (kept + shown)[-MAX_GATHERED:]
        state.button_notices += 1
    else:
        state.buttons = shown
        state.button_notices = 1
    state.buttons_at = now
    state.updated_at = now
