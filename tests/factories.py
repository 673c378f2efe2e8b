"""Builders: communities, migrated databases, seller samples; and the transcript helper
(tests/transcript.py), re-exported here as `Transcript`."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.app import Core
from storage.communities import create_community
from storage.db import transaction
from storage.models import Community
from tests.transcript import RecordingSender, Said, Transcript

__all__ = [
    "RecordingSender",
    "Said",
    "Transcript",
    "copy_database",
    "make_community",
    "seller_sample_params",
]


def copy_database(template: Path, target: Path) -> str:
    """A fresh, migrated SQLite file at `target` (a copy of the template); its URL."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def make_community(
    core: Core, *, name: str = "KBA 13 Ulu", invite: str = "KBA13", timezone: str = "Asia/Jakarta"
) -> Community:
    """A community, as `guyub community create` makes it."""
    with transaction(core.open_session) as session:
        return create_community(
            session=session,
            name=name,
            invite_code=invite,
            timezone=timezone,
            language="id",
            now=core.clock.now(),
        )


SELLER_SAMPLES = Path(__file__).resolve().parents[2] / "shared/samples/seller_posts.jsonl"
"""The shared seller posts with their expected prices (../shared beside the checkout)."""


def seller_sample_params() -> list[Any]:
    """One pytest param per shared seller-post sample, or one skip when shared/ is absent."""
    if not SELLER_SAMPLES.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{SELLER_SAMPLES} not found"))]
    lines = SELLER_SAMPLES.read_text(encoding="utf-8").splitlines()
    return [
        pytest.param(json.loads(line), id=f"line{number}")
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]
