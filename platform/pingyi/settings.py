"""Configuration layer: frozen settings grouped by concern, built once from the environment (README lists all)."""

from __future__ import annotations

import os
import secrets as _secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


class SettingsError(ValueError):
    """A configuration value is wrong; the message names the variable."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str
    sqlite_timeout_s: float = 30.0
    pool_max: int = 20

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.url[len("sqlite:///"):])


@dataclass(frozen=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    cookie_secure: bool = False
    access_log: Path | None = None


@dataclass(frozen=True)
class AccountSettings:
    """Office sessions and login lockout (SPEC §8, 等保 2.0 level 2)."""

    session_idle_minutes: int = 30
    session_max_hours: int = 8
    login_max_failures: int = 5
    login_window_minutes: int = 15
    login_lock_minutes: int = 15


@dataclass(frozen=True)
class MqttSettings:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls_ca: str | None = None
    password_file: Path | None = None
    acl_file: Path | None = None
    batch_size: int = 500
    batch_wait_ms: int = 50
    # The ingest's shared-subscription group. Empty: a secret name kept in data_dir/ingest_group (generated on the
    # first start). It must never appear in a terminal's config: a terminal that knows it can join the group and
    # take a share of every terminal's messages (Mosquitto's ACL file does not check subscriptions).
    group: str = ""
    # Time bounds against the platform's receive time (docs/mqtt-ingest.md, "Time bounds"): an event dated earlier
    # than received − max_offline_days or later than received + clock_skew_s is stored with the flag "clock".
    max_offline_days: int = 45
    clock_skew_s: int = 300
    # Quarantine bounds (rows kept per terminal per hour, and for all terminals together per hour); the excess is
    # acknowledged and counted per terminal, not stored.
    quarantine_per_terminal_hour: int = 60
    quarantine_total_hour: int = 600


RATE_UNITS = ("second", "minute", "hour", "day")


@dataclass(frozen=True)
class RateLimits:
    """Requests per client address and unit, per group of routes (Litestar's RateLimitConfig; per process)."""

    login: tuple[str, int] = ("minute", 10)
    complaint: tuple[str, int] = ("minute", 20)
    receipt: tuple[str, int] = ("minute", 60)
    chart: tuple[str, int] = ("minute", 120)


@dataclass(frozen=True)
class WebRatingSettings:
    """The web channel behind each window's QR poster (SPEC §4; docs/rating-rules.md, "Web channel")."""

    arm_max_age_minutes: int = 30  # an arm older than this is not open to a web rating
    repeat_minutes: int = 10  # one device rating one window again within this is flagged "repeat"
    device_hourly_limit: int = 10  # web ratings per device and hour; beyond it: 429, nothing stored
    address_hourly_limit: int = 60  # web ratings per client address and hour (a hall's Wi-Fi shares one address)


@dataclass(frozen=True)
class FollowupSettings:
    """Deadlines of the loop (SPEC §2, §4; docs/followup.md), in working days on the State Council calendar."""

    answer_working_days: int = 5  # a department answers a counted 差评 within this, from the rating's date
    annual_working_days: int = 30  # rectification of an annual 不满意 grade, from the publication's date
    monthly_working_days: int = 10  # rectification of a monthly last place (较差窗口单位), from the publication


@dataclass(frozen=True)
class ComplaintSettings:
    """Complaint handling (SPEC §5; docs/rules.md, "Complaints")."""

    working_days: int = 15  # an open complaint is overdue after this many working days (调休 included)
    duplicate_days: int = 7  # intake compares a complaint with the same department's complaints of these days


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    surveys_dir: Path
    database: DatabaseSettings
    http: HttpSettings
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    accounts: AccountSettings = field(default_factory=AccountSettings)
    timezone: str = "Asia/Shanghai"
    rate_limits: RateLimits = field(default_factory=RateLimits)
    fonts: tuple[str, ...] | None = None  # CJK font files or folders to search (None: the usual system paths)
    web_rating: WebRatingSettings = field(default_factory=WebRatingSettings)
    followup: FollowupSettings = field(default_factory=FollowupSettings)
    complaints: ComplaintSettings = field(default_factory=ComplaintSettings)

    def with_database(self, url: str) -> Settings:
        return replace(self, database=replace(self.database, url=url))

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("PINGYI_DATA_DIR", str(REPO_ROOT / "var"))).resolve()
        host = env.get("PINGYI_HOST", "127.0.0.1")
        port = _int(env, "PINGYI_PORT", 8000)
        url = env.get("PINGYI_DATABASE_URL") or f"sqlite:///{data_dir / 'pingyi.sqlite3'}"
        if not (url.startswith("sqlite:///") or url.startswith(("postgresql://", "postgres://"))):
            raise SettingsError("PINGYI_DATABASE_URL must start with sqlite:/// or postgresql://")
        access_log = env.get("PINGYI_ACCESS_LOG")
        return cls(
            data_dir=data_dir,
            surveys_dir=Path(env.get("PINGYI_SURVEYS_DIR", str(REPO_ROOT / "surveys"))).resolve(),
            database=DatabaseSettings(url=url, sqlite_timeout_s=float(env.get("PINGYI_SQLITE_TIMEOUT", "30")),
                                      pool_max=_int(env, "PINGYI_DB_POOL", 20)),
            http=HttpSettings(
                host=host,
                port=port,
                public_base_url=env.get("PINGYI_PUBLIC_BASE_URL", f"http://{host}:{port}").rstrip("/"),
                secret_key=env.get("PINGYI_SECRET_KEY", ""),
                cookie_secure=env.get("PINGYI_COOKIE_SECURE", "0").lower() in ("1", "true", "yes"),
                access_log=Path(access_log) if access_log else data_dir / "access.log",
            ),
            mqtt=MqttSettings(
                host=env.get("PINGYI_MQTT_HOST", "127.0.0.1"),
                port=_int(env, "PINGYI_MQTT_PORT", 1883),
                username=env.get("PINGYI_MQTT_USERNAME") or None,
                password=env.get("PINGYI_MQTT_PASSWORD") or None,
                tls_ca=env.get("PINGYI_MQTT_TLS_CA") or None,
                password_file=Path(env["PINGYI_MQTT_PASSWORD_FILE"]) if env.get("PINGYI_MQTT_PASSWORD_FILE") else None,
                acl_file=Path(env["PINGYI_MQTT_ACL_FILE"]) if env.get("PINGYI_MQTT_ACL_FILE") else None,
                batch_size=_int(env, "PINGYI_INGEST_BATCH", 500),
                group=env.get("PINGYI_INGEST_GROUP", ""),
                max_offline_days=_positive(env, "PINGYI_MAX_OFFLINE_DAYS", 45),
                clock_skew_s=_positive(env, "PINGYI_CLOCK_SKEW_S", 300),
                quarantine_per_terminal_hour=_positive(env, "PINGYI_QUARANTINE_PER_TERMINAL_HOUR", 60),
                quarantine_total_hour=_positive(env, "PINGYI_QUARANTINE_TOTAL_HOUR", 600),
            ),
            accounts=AccountSettings(
                session_idle_minutes=_positive(env, "PINGYI_SESSION_IDLE_MINUTES", 30),
                session_max_hours=_positive(env, "PINGYI_SESSION_MAX_HOURS", 8),
                login_max_failures=_positive(env, "PINGYI_LOGIN_MAX_FAILURES", 5),
                login_window_minutes=_positive(env, "PINGYI_LOGIN_WINDOW_MINUTES", 15),
                login_lock_minutes=_positive(env, "PINGYI_LOGIN_LOCK_MINUTES", 15),
            ),
            timezone=_timezone(env),
            rate_limits=RateLimits(**{group: _rate(env, f"PINGYI_RATE_{group.upper()}", default)
                                      for group, default in vars(RateLimits()).items()}),
            fonts=tuple(p for p in env["PINGYI_FONT_PATH"].split(os.pathsep) if p)
            if env.get("PINGYI_FONT_PATH") is not None else None,
            web_rating=WebRatingSettings(
                arm_max_age_minutes=_positive(env, "PINGYI_WEB_ARM_MINUTES", 30),
                repeat_minutes=_positive(env, "PINGYI_WEB_REPEAT_MINUTES", 10),
                device_hourly_limit=_positive(env, "PINGYI_WEB_LIMIT_DEVICE", 10),
                address_hourly_limit=_positive(env, "PINGYI_WEB_LIMIT_ADDRESS", 60),
            ),
            followup=FollowupSettings(
                answer_working_days=_positive(env, "PINGYI_ANSWER_WORKING_DAYS", 5),
                annual_working_days=_positive(env, "PINGYI_RECTIFY_ANNUAL_WORKING_DAYS", 30),
                monthly_working_days=_positive(env, "PINGYI_RECTIFY_MONTHLY_WORKING_DAYS", 10),
            ),
            complaints=ComplaintSettings(
                working_days=_positive(env, "PINGYI_COMPLAINT_WORKING_DAYS", 15),
                duplicate_days=_positive(env, "PINGYI_COMPLAINT_DUPLICATE_DAYS", 7),
            ),
        )

    def ensure_secret(self) -> Settings:
        """Return settings with a secret key: the configured one, or one kept in data_dir/secret_key."""
        from .datafiles import private_dir, write_private

        private_dir(self.data_dir, tighten=True)
        if self.http.secret_key:
            return self
        path = self.data_dir / "secret_key"
        if not path.exists():
            write_private(path, _secrets.token_hex(32).encode("ascii"))
        return replace(self, http=replace(self.http, secret_key=path.read_text().strip()))


def _timezone(env: dict[str, str]) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = env.get("PINGYI_TIMEZONE") or "Asia/Shanghai"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"PINGYI_TIMEZONE must be an IANA time zone such as Asia/Shanghai, got {name!r}") from None
    return name


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


def _rate(env: dict[str, str], name: str, default: tuple[str, int]) -> tuple[str, int]:
    """"10/minute" → ("minute", 10)."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    count, _, unit = raw.partition("/")
    if not count.strip().isdigit() or int(count) < 1 or unit.strip() not in RATE_UNITS:
        raise SettingsError(f"{name} must look like 10/minute (units: {', '.join(RATE_UNITS)}), got {raw!r}")
    return unit.strip(), int(count)


def _positive(env: dict[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise SettingsError(f"{name} must be a positive integer, got {value}")
    return value
