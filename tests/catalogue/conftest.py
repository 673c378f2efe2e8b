"""A market: members talk to the real router on a real SQLite file (tests/transcript.py)."""

from collections.abc import Iterator

import pytest

from bot.app import Core
from handlers.catalogue import cards
from storage.models import Community
from tests.factories import Transcript


@pytest.fixture
def market(core: Core, community: Community) -> Iterator[Transcript]:
    """A community (invite KBA13) and the transcript helper on it."""
    shop = Transcript(core, community)
    yield shop
    if shop.core is not core:  # restarted: close the new process's engine too
        shop.core.close()


@pytest.fixture
def no_card_buttons(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cards without the features' buttons (📣 Bagikan ...), for tests about the catalogue's
    own buttons and their numbers."""
    monkeypatch.setattr(cards, "CARD_BUTTONS", [])
