"""A town with events: a coordinator (Bu RT) and members on the real router, real SQLite."""

from collections.abc import Iterator

import pytest

from bot.app import Core
from storage.models import Community
from tests.factories import Transcript


@pytest.fixture
def town(core: Core, community: Community) -> Iterator[Transcript]:
    """KBA 13 Ulu (WIB, invite KBA13) and the transcript helper on it."""
    shop = Transcript(core, community)
    yield shop
    if shop.core is not core:
        shop.core.close()
