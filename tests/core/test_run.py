"""`guyub run` with no credentials says so and runs the local channel on embedded defaults."""

import os
import subprocess
import sys
from pathlib import Path


def test_run_without_credentials_uses_the_local_channel(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "TWILIO_", "DATABASE_URL", "PUBLIC_BASE_URL"))
    }
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        input="GABUNG NOPE\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Running the local channel" in result.stdout
    assert "tidak ditemukan" in result.stdout  # it answered the typed message
    assert (tmp_path / "data" / "guyub.db").is_file()  # SQLite by default
