"""Every setting is documented in .env.example, and the layers stay as designed."""

import re
import subprocess
import sys
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_env_example_mirrors_every_setting() -> None:
    documented = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_empty_values_in_env_example_mean_defaults(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    settings = Settings(_env_file=tmp_path / ".env")  # type: ignore[call-arg]
    assert not settings.has_telegram and not settings.has_whatsapp


def test_lower_layers_never_import_upper_ones_or_platform_sdks() -> None:
    rules = {
        "handlers": ("bot", "jobs", "telegram", "twilio"),
        "storage": ("bot", "jobs", "handlers", "telegram", "twilio"),
        "jobs": ("bot", "telegram", "twilio"),
    }
    for layer, banned in rules.items():
        for path in (ROOT / layer).rglob("*.py"):
            for line in path.read_text().splitlines():
                match = re.match(r"\s*(?:from|import)\s+([a-z_]+)", line)
                assert not (match and match.group(1) in banned), f"{path}: {line.strip()}"


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
