"""Conversation state: multi-step flows and the meaning of the last buttons shown."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.models import ConversationState

__all__ = ["load_state", "new_state", "save_state"]


def load_state(*, session: Session, identity_id: int, now: datetime) -> ConversationState:
    """The state row of an identity, created empty on first use."""
    state = session.get(ConversationState, identity_id)
    return new_state(session=session, identity_id=identity_id, now=now) if state is None else state


def new_state(*, session: Session, identity_id: int, now: datetime) -> ConversationState:
    """An empty state row for an identity that has none yet."""
    state = ConversationState(identity_id=identity_id, updated_at=now)
    session.add(state)
    return state


def save_state(
    *,
    session: Session,
    state: ConversationState,
    flow: str | None,
    step: str | None,
    data: dict[str, Any],
    buttons: list[list[str]],
    now: datetime,
) -> None:
    """Store where the person is; JSON columns need a fresh object to notice the change."""
    state.flow, state.step = flow, step
    state.data = dict(data)
    state.buttons = [list(b) for b in buttons]
    state.updated_at = now
    session.add(state)
