"""Whether the web app asks for a login, and the check Gradio's login page calls.

On a loopback host (127.0.0.0/8, ::1, ``localhost``) only this machine can reach the app: no login,
unless the ``require_login`` setting asks for one.  Any other host (``0.0.0.0``, a LAN address, a
host name) makes the app reachable from the network, upload, re-index and questions included, so it
always asks for a login, and refuses to start while the users file (``core.users``) has no user.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import LoginRequired
from core.settings import Settings
from core.users import UsersFile, users_path


def is_loopback(host: str) -> bool:
    """Whether ``host`` can be reached from this machine only (an empty host is taken as all addresses)."""
    host = (host or "").strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


@dataclass(frozen=True)
class LoginPlan:
    """What ``launch`` does about logins on ``host``: ``auth`` is Gradio's check, or None for no login."""

    host: str
    port: int
    users_file: Path
    users: int
    auth: Callable[[str, str], bool] | None

    @property
    def network(self) -> bool:
        return not is_loopback(self.host)

    def line(self) -> str:
        """The start-up line saying who can reach the app and how they log in."""
        where = f"{self.host}:{self.port}"
        if self.auth is None:
            return (f"The app is reachable from this machine only, at {where}, without a login "
                    f"(COACH_REQUIRE_LOGIN=true asks for one).")
        reach = "from the network" if self.network else "from this machine only"
        return (f"The app is reachable {reach} at {where} and requires a login (Gradio's login page; "
                f"{self.users} user{'s' if self.users != 1 else ''} in {self.users_file}); "
                "each user has their own progress.")


def login_plan(settings: Settings, host: str | None = None, port: int | None = None) -> LoginPlan:
    """The login decision for serving on ``host`` (default: the ``host`` setting); ``LoginRequired``
    when a login is needed and the users file has nobody to log in."""
    host = settings.ui.host if host is None else host
    path = users_path(settings)
    users = UsersFile(path)
    count = len(users.names())
    if is_loopback(host) and not settings.ui.require_login:
        return LoginPlan(host, port or settings.ui.port, path, count, None)
    if not count:
        why = (f"the host {host} makes the app reachable from the network" if not is_loopback(host)
               else "COACH_REQUIRE_LOGIN is set")
        raise LoginRequired(f"{why}, so it asks for a login, but {path} has no user: add one with "
                            "`coach users add NAME` (it asks for the password), or serve on 127.0.0.1 only")
    return LoginPlan(host, port or settings.ui.port, path, count, users.verify)


def login_kwargs(plan: LoginPlan) -> dict:
    """``Blocks.launch`` arguments for ``plan``: Gradio's ``auth`` check and the login page's message."""
    if plan.auth is None:
        return {}
    return {"auth": plan.auth, "auth_message": "Interview Coach: log in with the name and password you were given."}
