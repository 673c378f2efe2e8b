"""Settings from the environment and `.env`; every field is documented in `.env.example`."""

import re
from pathlib import Path
from typing import Self

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]

PLACEHOLDERS = {"changeme", "change-me", "xxx", "your-token-here", "secret"}
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram's setWebhook accepts
WHATSAPP_NEEDS = ("twilio_account_sid", "twilio_auth_token", "twilio_whatsapp_from")
"""Settings that mean "run WhatsApp"; with PUBLIC_BASE_URL, all are needed once one is set."""


class Settings(BaseSettings):
    """Everything Guyub reads from outside; built once in main()."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = "sqlite:///data/guyub.db"
    media_dir: Path = Path("data/media")
    log_level: str = "INFO"
    default_timezone: str = "Asia/Jakarta"

    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str | None = None
    dashboard_secret: SecretStr | None = None  # signs dashboard cookies; made and kept if unset

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_file_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_rate_per_second: float = 30.0
    telegram_paid_broadcast: bool = False

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_whatsapp_from: str | None = None
    twilio_api_base_url: str | None = None
    twilio_media_hosts: str = "api.twilio.com,*.twiliocdn.com"
    whatsapp_rate_per_second: float = 80.0
    delivery_worker_name: str | None = None
    inbox_lease_seconds: float = 60.0
    leader_poll_seconds: float = 5.0
    worker_processes: int = 1
    web_processes: int | None = None  # None: 1 with two cores or more (bot/web_processes.py)
    whatsapp_template_notice: str | None = None
    whatsapp_template_digest: str | None = None
    whatsapp_template_broadcast: str | None = None
    whatsapp_template_reminder: str | None = None
    whatsapp_template_price_idr: int = 650
    whatsapp_daily_business_initiated_cap: int = 1000
    announce_progress_from: int = 50

    @property
    def web_base_url(self) -> str:
        """Where the web server listens, as a browser on this machine reaches it."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Self:
        for name in ("telegram_bot_token", "twilio_auth_token", "telegram_webhook_secret"):
            value = getattr(self, name)
            if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDERS:
                raise ValueError(f"{name.upper()} is still a placeholder; set the real value")
        return self

    @model_validator(mode="after")
    def _webhook_has_a_secret(self) -> Self:
        """Webhook mode without a secret would accept forged updates: refuse to start."""
        if not self.telegram_webhook_url:
            return self
        secret = self.telegram_webhook_secret
        if secret is None or not WEBHOOK_SECRET.fullmatch(secret.get_secret_value()):
            raise ValueError(
                "TELEGRAM_WEBHOOK_URL is set, so TELEGRAM_WEBHOOK_SECRET must be too: "
                "1-256 characters of A-Z, a-z, 0-9, _ and - "
                "(or remove TELEGRAM_WEBHOOK_URL to use long polling)"
            )
        return self

    @model_validator(mode="after")
    def _whatsapp_whole_or_off(self) -> Self:
        """Half a Twilio set-up is a typo or a forgotten line, not "no WhatsApp": name it."""
        if not any(getattr(self, name) for name in WHATSAPP_NEEDS):
            return self
        missing = [
            name.upper() for name in (*WHATSAPP_NEEDS, "public_base_url") if not getattr(self, name)
        ]
        if missing:
            given = [name.upper() for name in WHATSAPP_NEEDS if getattr(self, name)]
            raise ValueError(
                f"WhatsApp is half set up: {', '.join(given)} set but {', '.join(missing)} "
                "missing; set the missing ones, or remove the TWILIO_* settings to run "
                "without WhatsApp"
            )
        return self

    @property
    def has_telegram(self) -> bool:
        """A Telegram bot token is configured."""
        return self.telegram_bot_token is not None

    @property
    def whatsapp_number(self) -> str | None:
        """The bot's WhatsApp number as wa.me links want it (digits only), when WhatsApp runs."""
        if not self.has_whatsapp or not self.twilio_whatsapp_from:
            return None
        digits = "".join(ch for ch in self.twilio_whatsapp_from if ch.isdigit())
        return digits or None

    @property
    def has_whatsapp(self) -> bool:
        """Every Twilio setting WhatsApp needs is configured."""
        return bool(
            self.twilio_account_sid
            and self.twilio_auth_token
            and self.twilio_whatsapp_from
            and self.public_base_url
        )
