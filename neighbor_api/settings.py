"""All configuration, read once from the environment (and an optional `.env`).

One `Settings` object is built at start-up and passed down; nothing reads the environment
elsewhere and nothing mutates the object afterwards (tests build their own).
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from neighbor_api.core.client_address import IPNetwork, parse_networks


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class SmsSenderKind(StrEnum):
    """Who delivers verification codes (core/sms.py)."""

    DEVELOPMENT = "development"  # writes the code to the server log; refused in production
    WEBHOOK = "webhook"  # POSTs JSON to NEIGHBOR_SMS_WEBHOOK_URL


class LogFormat(StrEnum):
    JSON = "json"
    TEXT = "text"


MIN_SECRET_KEY_BYTES = 32
# Placeholders people paste: a key containing one of these is refused in production.
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "secret", "password", "example", "xxxx")


def weak_secret_key(key: str) -> str | None:
    """Why `key` is unfit to sign tokens in production (None if it looks random enough): fewer
    than 32 bytes, too few distinct characters (a repeated pattern), or a placeholder."""
    if not key:
        return "is not set"
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        return f"is {len(key.encode())} bytes long"
    if len(set(key)) < 12:
        return f"has only {len(set(key))} distinct characters"
    if any(word in key.lower() for word in _PLACEHOLDERS):
        return "looks like a placeholder"
    return None


class Settings(BaseSettings):
    """Every setting is documented in `.env.example`."""

    model_config = SettingsConfigDict(
        env_file=".env", env_prefix="NEIGHBOR_", extra="ignore", frozen=True
    )

    environment: Environment = Environment.DEVELOPMENT
    # Unset: the app starts the embedded SecantusDB server itself, data under data_dir.
    mongodb_uri: str | None = Field(default=None, validation_alias="MONGODB_URI")
    database: str = "neighbor"
    data_dir: Path = Path("./var/data")
    secret_key: SecretStr = SecretStr("")

    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(days=30)
    # argon2id cost; the defaults are argon2-cffi's recommended ones.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    # Login attempts (right or wrong) allowed per client address per window; the window is
    # also how long a phone's failed logins are remembered after its last wait ended.
    login_attempts_per_address: int = Field(default=30, ge=1)
    login_window: timedelta = timedelta(minutes=15)
    # Progressive delays per phone number: the first `free` failures cost nothing, then each
    # one doubles the wait before the next attempt is evaluated (base, 2 base, ..., max).
    login_free_failures: int = Field(default=3, ge=0)
    login_delay_base: timedelta = timedelta(seconds=1)
    login_delay_max: timedelta = timedelta(minutes=15)
    # Accounts registered per client address per window.
    registrations_per_address: int = Field(default=10, ge=1)
    registration_window: timedelta = timedelta(hours=1)
    # A rotated refresh token presented again by the same client address within this grace
    # answers the same successor pair (a response lost on a flaky network); after it, or from
    # another address, reuse still ends the whole session.
    refresh_reuse_grace: timedelta = timedelta(seconds=30)

    # Verification codes (accounts/verification.py): SMS codes for sign-up, code login,
    # password reset, phone change and account deletion.
    code_ttl: timedelta = timedelta(minutes=5)
    code_max_attempts: int = Field(default=5, ge=1)
    code_resend_seconds: int = Field(default=60, ge=0)
    code_limit_per_phone_per_day: int = Field(default=10, ge=1)
    code_limit_per_address: int = Field(default=30, ge=1)  # per client address per hour
    # Unset: webhook when NEIGHBOR_SMS_WEBHOOK_URL is set, else development.
    sms_sender: SmsSenderKind | None = None
    sms_webhook_url: str | None = None
    sms_webhook_timeout_seconds: float = Field(default=5.0, gt=0)

    # The privacy policy users accept (consent, PIPL art. 13-17): a new version makes every
    # user accept it again before their next mutation.
    privacy_policy_version: str = "2026-12-01"
    privacy_policy_url: str = "https://neighbor.example.cn/privacy/2026-12-01"

    # Authentication cache (accounts/sessions.py): how long a session's viewer (user,
    # memberships, session live), and a user the DataLoaders read, is reused without asking the
    # database, and how many sessions (and users) each instance keeps (least recently used
    # out). Writes and the change stream invalidate it sooner; this is the bound when the
    # change stream is down. 0 turns it off.
    auth_cache_seconds: float = Field(default=30.0, ge=0)
    auth_cache_size: int = Field(default=10_000, ge=0)

    # Pages kept by each instance (core/kept.py): a community's report lists and a board's
    # columns, valid while their version (the community's, the board's: every write of one of
    # its reports or tasks increments it) is unchanged; an entry is read again after this many
    # seconds whatever the version (a writer that died between its writes). The size is in
    # pages (least recently used out: a page of 20 reports holds about 100 KB); 0 turns it off.
    list_cache_seconds: float = Field(default=30.0, ge=0)
    list_cache_size: int = Field(default=1_000, ge=0)

    # Votes: how many electors one person may cast a proxy vote for on one proposal (委托投票).
    max_proxies_per_person: int = Field(default=3, ge=0)

    # Uploads (uploadAttachment) per user per day (UTC): files and bytes; over either one,
    # RATE_LIMITED until the day ends.
    uploads_per_day: int = Field(default=100, ge=1)
    upload_bytes_per_day: int = Field(default=200 * 1_048_576, ge=1)

    # The most points one task may award each assignee (createTask, updateTask): points are
    # bounded so that nobody can mint them.
    max_task_reward: int = Field(default=100, ge=0, le=1000)
    # Photo download links: valid this long (rounded up to the minute), for the viewer they
    # were made for, while that viewer's session lives and they may still see the file.
    attachment_link_ttl: timedelta = timedelta(minutes=5)

    # Votes (councils/): the shortest voting period openVoting accepts, in hours.
    min_voting_hours: float = Field(default=24.0, ge=0)

    # Query limits, answered with QUERY_TOO_COMPLEX.
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 3000
    max_query_cost: int = 20000
    # The document's shape, checked in one pass before validation: fields and fragment spreads
    # in one selection set, repeats of one field (response key) there, fields in the document.
    max_selections: int = Field(default=100, ge=1)
    max_field_repeats: int = Field(default=5, ge=1)
    max_fields: int = Field(default=1000, ge=1)
    max_body_bytes: int = 1_048_576
    max_upload_body_bytes: int = 11 * 1_048_576
    # GraphQL requests over HTTP without a token, per client address per minute (RATE_LIMITED,
    # 429), counted in the database across instances. 0: no limit.
    anonymous_requests_per_minute: int = Field(default=600, ge=0)
    # WebSocket caps, per instance (graphql/sockets.py): operations in flight per connection
    # and per user (TOO_MANY_SUBSCRIPTIONS), connections per user and anonymous connections
    # per client address (closed with 1013).
    max_subscriptions_per_connection: int = Field(default=20, ge=1)
    max_subscriptions_per_user: int = Field(default=50, ge=1)
    max_connections_per_user: int = Field(default=10, ge=1)
    max_anonymous_connections_per_address: int = Field(default=20, ge=1)
    # The server pings WebSocket clients this often (graphql-transport-ws Ping); a client
    # that answers nothing before the next ping is closed as a dead peer (1011).
    ws_ping_seconds: float = 15.0
    # permessage-deflate on WebSockets: off, since its zlib state costs ~50 KB per socket for
    # events of a few hundred bytes (bench/subscribers.py measures memory per socket).
    ws_compression: bool = False
    # Live updates: events a subscriber may fall behind before it is disconnected (4008).
    live_queue_size: int = 100

    # GraphiQL at GET /graphql and introspection (`__schema`, `__type`): unset, on except in
    # production. Field suggestions ("Did you mean ...") are shown in development only.
    graphiql: bool | None = None
    introspection: bool | None = None

    # Logs: JSON lines or plain text (unset: JSON in production, text elsewhere).
    log_format: LogFormat | None = None
    # Set: GET /metrics answers only `Authorization: Bearer <token>`.
    metrics_token: SecretStr | None = None
    # Automatic persisted queries: documents kept per instance (least recently used out
    # first); longer documents run but are not kept.
    apq_cache_size: int = Field(default=1000, ge=0)
    apq_max_document_bytes: int = Field(default=32_768, ge=0)
    # Run only the operations of schema/operations/ (by hash or by their exact text).
    trusted_documents: bool = False
    # Reverse proxies / load balancers (CIDRs or addresses, comma-separated or a JSON list)
    # whose X-Forwarded-For is believed: the client is the rightmost hop that is not one of
    # them. None by default: the TCP peer is the client.
    trusted_proxies: Annotated[list[IPNetwork], NoDecode] = []
    # Browser origins (e.g. https://console.example.cn) allowed to call the API (CORS);
    # a JSON list or comma-separated. None by default.
    cors_origins: Annotated[list[str], NoDecode] = []
    # Open311 (GeoReport v2): the jurisdiction_id partners may send (another one is refused),
    # service requests each API key may POST per minute, and how far from a community's
    # centre a point may be to be filed there.
    open311_jurisdiction_id: str = "xm.gov.cn"
    open311_requests_per_minute: int = 30
    open311_max_distance_meters: int = 1500
    # Push notifications: with a URL, each outbox message is POSTed there as JSON (the vendor
    # channels' adapter); without, they are logged (development). Each POST may take this
    # long; a message failing this many times is dropped, retried after this many seconds,
    # doubling each time.
    push_webhook_url: str | None = None
    push_webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    push_max_attempts: int = Field(default=5, ge=1)
    push_retry_seconds: float = Field(default=30.0, ge=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip() for origin in text.split(",") if origin.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            items = json.loads(text) if text.startswith("[") else text.split(",")
            return parse_networks([item for item in items if str(item).strip()])
        if isinstance(value, list):
            return parse_networks([str(item) for item in value])
        return value

    @model_validator(mode="after")
    def _secret_key_required_in_production(self) -> Settings:
        key = self.secret_key.get_secret_value()
        if self.environment is Environment.PRODUCTION:
            problem = weak_secret_key(key)
            if problem:
                raise ValueError(
                    f"NEIGHBOR_SECRET_KEY {problem}. In production it must be at least "
                    f"{MIN_SECRET_KEY_BYTES} random bytes, e.g. the output of "
                    '`python -c "import secrets; print(secrets.token_urlsafe(48))"`'
                )
        elif not key:
            # Development and tests: a random key per process (tokens die with a restart).
            object.__setattr__(self, "secret_key", SecretStr(secrets.token_urlsafe(48)))
        return self

    @property
    def graphiql_enabled(self) -> bool:
        if self.graphiql is None:
            return self.environment is not Environment.PRODUCTION
        return self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection is None:
            return self.environment is not Environment.PRODUCTION
        return self.introspection

    @property
    def sms_sender_kind(self) -> SmsSenderKind:
        if self.sms_sender is not None:
            return self.sms_sender
        return SmsSenderKind.WEBHOOK if self.sms_webhook_url else SmsSenderKind.DEVELOPMENT

    @property
    def json_logs(self) -> bool:
        if self.log_format is None:
            return self.environment is Environment.PRODUCTION
        return self.log_format is LogFormat.JSON

    @property
    def show_field_suggestions(self) -> bool:
        return self.environment is Environment.DEVELOPMENT
