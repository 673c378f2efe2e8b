"""`guyub run` as a process: embedded defaults without credentials; a taken port."""

import os
import socket
import subprocess
import sys
from pathlib import Path


def run_guyub(cwd: Path, stdin: str = "", **settings: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot run` in `cwd` with no channel settings from this machine but `settings`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "TWILIO_", "DATABASE_URL", "PUBLIC_BASE_URL"))
    }
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


def test_run_without_credentials_uses_the_local_channel(tmp_path: Path) -> None:
    result = run_guyub(tmp_path, stdin="Siti\nGABUNG NOPE\n")
    assert result.returncode == 0, result.stderr
    assert "Running the local channel" in result.stdout
    assert "Siapa nama Anda?" in result.stdout and "Siti > " in result.stdout
    assert "tidak ditemukan" in result.stdout  # it answered the typed message
    assert (tmp_path / "data" / "guyub.db").is_file()  # SQLite by default


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        result = run_guyub(
            tmp_path,
            TELEGRAM_BOT_TOKEN="123456:TEST",
            TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
            PORT=str(taken.getsockname()[1]),
            HOST="127.0.0.1",
        )
    assert result.returncode == 4, result.stderr
    assert "cannot listen on 127.0.0.1" in result.stderr
    assert "Guyub stopped" in result.stderr  # everything opened was closed again
