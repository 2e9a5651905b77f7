"""The people who may log in to the web app, and where each one's progress is kept.

The users file (``users_file`` setting, default ``<data_dir>/users.json``) maps each user name to
a salted scrypt hash of the password (standard library only: ``hashlib.scrypt``); a password is
never stored.  ``coach users add/list/remove`` edit it; the app reads it at each login, so a user
added while it runs can log in at once and a removed one no longer can.

When the app asks for a login, each user has their own progress (review cards, sessions, gaps,
reports) under ``<data_dir>/users/<name>/`` and ``<data_dir>/reports/users/<name>/``; the notes and
their index are shared.  Without a login the single-user paths (``PathSettings.progress_db``,
``PathSettings.reports_dir``) are used, as before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path

from core.errors import UsersError
from core.settings import Settings

# scrypt cost: 16 MiB and ~50 ms per check, the standard library's limit is 32 MiB by default
SCRYPT_N, SCRYPT_R, SCRYPT_P, SALT_BYTES, KEY_BYTES = 2 ** 14, 8, 1, 16, 32
MIN_PASSWORD_CHARS = 8
# lower-case letters, digits, . _ - : also the name of the user's folder, on any file system
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")


def user_key(name: str) -> str:
    """The user name as stored and as a folder name (lower case), or ``UsersError``."""
    key = (name or "").strip().lower()
    if not _NAME.match(key):
        raise UsersError(f"{name!r} is not a usable user name: use 1-32 letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit")
    return key


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$<salt>$<key>`` (base64) for ``password``, with a fresh random salt."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=KEY_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a ``hash_password`` string (constant-time; False if malformed)."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key, validate=True)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt, validate=True),
                             n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(got, expected)


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise UsersError(f"the password is too short: use at least {MIN_PASSWORD_CHARS} characters")


def users_path(settings: Settings) -> Path:
    """The users file: the ``users_file`` setting, else ``<data_dir>/users.json``."""
    return settings.ui.users_file or settings.paths.data_dir / "users.json"


class UsersFile:
    """The users file: ``{"users": {name: {"hash": ..., "added_at": ...}}}``, written atomically
    and readable by its owner only."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _load(self) -> dict[str, dict]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            users = data["users"]
            if not isinstance(users, dict) or not all(isinstance(v, dict) and "hash" in v for v in users.values()):
                raise ValueError("no 'users' table of hashes")
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise UsersError(f"the users file {self.path} cannot be read ({e}); fix or remove it, then add "
                             "the users again with `coach users add NAME`") from None
        return users

    def _save(self, users: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"users": users}, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    def names(self) -> list[str]:
        return sorted(self._load())

    def entries(self) -> dict[str, dict]:
        """Each user's entry (``added_at``; the hash too, which is no secret but is not for showing)."""
        return dict(sorted(self._load().items()))

    def add(self, name: str, password: str, replace: bool = False) -> str:
        """Add (or with ``replace``, change the password of) a user; returns the stored name."""
        key = user_key(name)
        check_password(password)
        users = self._load()
        if key in users and not replace:
            raise UsersError(f"the user {key!r} exists already; to change the password, use "
                             f"`coach users add {key} --replace`")
        users[key] = {"hash": hash_password(password),
                      "added_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self._save(users)
        return key

    def remove(self, name: str) -> str:
        key = user_key(name)
        users = self._load()
        if key not in users:
            raise UsersError(f"there is no user {key!r} in {self.path}")
        del users[key]
        self._save(users)
        return key

    def verify(self, name: str, password: str) -> bool:
        """Whether ``name`` (any case) may log in with ``password``; read from the file each time."""
        try:
            key = user_key(name)
            entry = self._load().get(key)
        except UsersError:
            return False
        return entry is not None and verify_password(password or "", entry["hash"])


def user_progress_db(settings: Settings, name: str, strict: bool = True) -> Path | None:
    """Where ``name``'s progress (cards, sessions, gaps) is kept when the app asks for a login
    (``strict=False``: None instead of ``UsersError`` for a name that is no user name)."""
    try:
        key = user_key(name)
    except UsersError:
        if strict:
            raise
        return None
    return settings.paths.data_dir / "users" / key / "progress.sqlite"


def users_with_progress(settings: Settings) -> list[str]:
    """The users whose progress file (``user_progress_db``) exists, sorted."""
    found = (settings.paths.data_dir / "users").glob("*/progress.sqlite")
    return sorted(name for name in {p.parent.name for p in found} if user_progress_db(settings, name, strict=False))


def user_reports_dir(settings: Settings, name: str) -> Path:
    """Where ``name``'s session reports go: under the reports folder, which the app serves from."""
    return settings.paths.reports_dir / "users" / user_key(name)
