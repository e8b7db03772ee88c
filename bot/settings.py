"""Doorstep's configuration, read once from the environment in `cli.main()` and passed down."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_CATALOG = Path(__file__).resolve().parent.parent / "services_catalog" / "data"


def default_database_url() -> str:
    """A SQLite file in the user's data folder (created on first use)."""
    folder = Path(platformdirs.user_data_dir("doorstep", appauthor=False))
    return f"sqlite:///{folder / 'doorstep.sqlite3'}"


class Settings(BaseSettings):
    """Everything Doorstep reads from its environment (names fixed by the contract)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    database_url: str = Field(default_factory=default_database_url)
    doorstep_catalog: Path = BUNDLED_CATALOG
    # The operator console signs its session cookies with this; a random one is made per start
    # when unset (sessions then end on restart).
    doorstep_secret_key: SecretStr | None = None
    # How long a shared location / named town is remembered for a chat user, in minutes.
    doorstep_location_ttl_minutes: int = 120
    # How long unanswered questions are kept for staff, in days.
    doorstep_unanswered_days: int = 90
    # Incoming messages one Telegram user, or one web chat session, may send per minute before a
    # polite pause (one address of the web chat may send six times as many).
    doorstep_user_rate_per_minute: int = 20
    # "HOST:PORT" of a second listener of `doorstep web` serving only the residents' routes (the web
    # chat and WeChat), for exposing them publicly while the console stays internal. Unset: none.
    doorstep_public_listen: str | None = None
    # The WeChat Official Account's server token, AppID and EncodingAESKey (names fixed by the contract).
    wechat_token: SecretStr | None = None
    wechat_app_id: str | None = None
    wechat_encoding_aes_key: SecretStr | None = None
