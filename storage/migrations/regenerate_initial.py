"""Developer tool: rewrite the initial migration from the models.

Only while Guyub has no deployed databases; after the first release, add migrations
with `alembic revision --autogenerate` instead. Run: python -m storage.migrations.regenerate_initial
"""

import tempfile
from pathlib import Path

from alembic import command

from storage.db import MIGRATIONS_DIR, _alembic_config, make_engine


def main() -> None:
    """Delete 0001 and autogenerate it again against an empty SQLite database."""
    for old in (MIGRATIONS_DIR / "versions").glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'empty.db'}")
        command.revision(
            _alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
