"""Service settings, read from the environment and `.env` (see `.env.example` for every variable)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.crypto import derived_key

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEVELOPMENT_SECRET = "development-only-secret-key-change-me"


class Settings(BaseSettings):
    """One settings object, built in the app factory and passed down; never created at import."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'data' / 'layanan.db'}"
    secret_key: str = DEVELOPMENT_SECRET
    #: Fernet keys for personal fields at rest, comma-separated, newest first (rotation: prepend a new one).
    data_encryption_keys: str = ""
    default_language: Literal["id", "en"] = "id"
    timezone: str = "Asia/Jakarta"
    routing_file: Path = PROJECT_ROOT / "config" / "routing.yaml"

    emergency_number: str = "112"
    sapa_phone: str = "129"
    sapa_whatsapp: str = "08111-129-129"

    #: Staff session cookies get `Secure` (HTTPS only); unset means: in production yes, else no.
    session_cookie_secure: bool | None = None
    #: Proxies whose `X-Forwarded-For` names the real client (addresses or networks, comma-separated; `*`
    #: trusts anyone, never do that on a public port). From any other peer the header is ignored, so nobody
    #: can pose as another address to dodge the per-address login throttle.
    forwarded_allow_ips: str = "127.0.0.1"
    #: Dashboard logins: the failure that locks an account (whoever tries it) or a client address for a
    #: minute; each further failure doubles the lock, up to an hour (bot/services/login_throttle.py). The
    #: address count is wider: a whole office may sit behind one address.
    login_failures_per_account: int = Field(default=5, ge=3)
    login_failures_per_address: int = Field(default=20, ge=3)

    #: `json`: one JSON object per log line (event, ids, level), for a log collector; `text`: plain lines.
    log_format: Literal["text", "json"] = "text"

    #: Web chat and JSON bodies above this size are refused with 413 before they are parsed.
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)

    # Telegram (python-telegram-bot). Without a token the channel is off.
    telegram_bot_token: str = ""
    telegram_webhook_url: str = ""  # set: webhook mode at /webhooks/telegram; empty: long polling
    telegram_webhook_secret: str = ""
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"

    # WhatsApp Cloud API (pywa). Without a token and phone number id the channel is off.
    whatsapp_token: str = ""
    whatsapp_phone_number_id: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    whatsapp_api_base_url: str = "https://graph.facebook.com/v23.0"
    #: Approved utility template sent when the 24-hour window is closed (docs/whatsapp-templates.md);
    #: empty: messages wait for the citizen's next message without a notice.
    whatsapp_notice_template: str = "pemberitahuan_pesan_baru"
    #: Contact language -> the template's language code as approved at Meta.
    whatsapp_notice_template_languages: dict[str, str] = Field(default_factory=lambda: {"id": "id", "en": "en"})

    #: Personal fields of requests closed longer ago than this are purged (UU PDP: keep no longer than needed).
    retention_days: int = Field(default=365, ge=30)
    #: The nightly pruning (bot/services/pruning.py) bounds the tables that would grow for ever. Sent,
    #: delivered and dead outbox messages go this many days after they were sent (or failed for good).
    outbox_keep_days: int = Field(default=30, ge=1)
    #: Finished due work (done, dropped, failed) goes this many days after it finished. At least 8: the
    #: recurring planner looks back 8 days, and a pruned fire time would be planned and run again.
    due_work_keep_days: int = Field(default=30, ge=8)
    #: Platform message ids are remembered this long to ignore re-deliveries. At least 7: WhatsApp retries
    #: a webhook for up to 7 days (Telegram re-delivers an update for up to 24 hours).
    inbound_dedupe_days: int = Field(default=14, ge=7)

    #: A web chat session (its token kept in the browser's localStorage) ends this many days after the page
    #: was last opened; the "Akhiri dan hapus" button and /hapusdata end it at once.
    webchat_session_days: int = Field(default=90, ge=1)
    #: `status KODE` of a ticket that is not the contact's own shows its state only, and at most this many
    #: times per window per contact and per network address (many phones share one address behind a
    #: carrier's NAT, so that limit is wider); the contact's own tickets are never limited.
    status_lookups_per_contact: int = Field(default=5, ge=1)
    status_lookups_per_address: int = Field(default=20, ge=1)
    status_lookup_window_minutes: int = Field(default=10, ge=1)

    # Delivery: sends per second per channel across all instances, and retries before dead-lettering.
    telegram_messages_per_second: float = Field(default=30.0, gt=0)
    telegram_chat_messages_per_second: float = Field(default=1.0, gt=0)
    whatsapp_messages_per_second: float = Field(default=20.0, gt=0)
    delivery_max_attempts: int = Field(default=8, ge=1)
    #: How long a claimed outbox message waiting for its send turn is reserved for the instance that claimed
    #: it; when that instance dies, another (or the restarted one) sends it after this. A send that began is
    #: reserved for the worker's in-flight lease instead (15 s), and a claim that ran out is fenced: the
    #: first instance can no longer send it, so this bounds a delay, never a duplicate.
    delivery_lease_seconds: float = Field(default=60.0, ge=1)

    @property
    def fernet_keys(self) -> list[str]:
        """The configured keys; in development, one derived from SECRET_KEY so `make run` needs none."""
        keys = [k.strip() for k in self.data_encryption_keys.split(",") if k.strip()]
        return keys or [derived_key(self.secret_key)]

    @property
    def cookies_secure(self) -> bool:
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.environment == "production"

    @property
    def emergency_numbers(self) -> dict[str, str]:
        """The numbers every catalog text may name: {emergency_number}, {sapa_phone}, {sapa_whatsapp}."""
        return {
            "emergency_number": self.emergency_number,
            "sapa_phone": self.sapa_phone,
            "sapa_whatsapp": self.sapa_whatsapp,
        }

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.whatsapp_token and self.whatsapp_phone_number_id)

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        """A production service with the development key would sign sessions anyone can forge."""
        if not self.secret_key and self.environment == "development":
            self.secret_key = DEVELOPMENT_SECRET
        if self.environment == "production" and (self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32):
            raise ValueError("SECRET_KEY must be set to a random value of 32+ characters in production")
        if self.environment == "production" and not self.data_encryption_keys:
            raise ValueError("DATA_ENCRYPTION_KEYS must be set in production (see .env.example)")
        if self.telegram_webhook_url and len(self.telegram_webhook_secret) < 16:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET (16+ characters) is required with TELEGRAM_WEBHOOK_URL")
        if self.whatsapp_enabled and not self.whatsapp_app_secret:
            raise ValueError("WHATSAPP_APP_SECRET is required to check webhook signatures")
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
