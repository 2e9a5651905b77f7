"""Logins: a host reachable from the network needs one (and a user), Gradio is given the check,
an unauthenticated request to the served app is refused, and each user keeps their own progress."""

from __future__ import annotations

import threading

import pytest

from conftest import free_port, on_topic_answer
from tests.ui.test_app import _assistant
from core.errors import LoginRequired
from core.users import UsersFile, users_path
from ui.auth import is_loopback, login_kwargs, login_plan

pytestmark = pytest.mark.timeout(300)

PASSWORDS = {"alice": "alice-password", "bob": "bob-password"}


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("LOCALHOST", True), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("10.0.0.1", False),
    ("example.org", False), ("", False), ("127.0.0.1.evil.com", False),
])
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


@pytest.fixture
def settings(tmp_path):
    from core.settings import Settings

    return Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")


def _add(settings, *names):
    users = UsersFile(users_path(settings))
    for name in names:
        users.add(name, PASSWORDS[name])
    return users


def test_loopback_without_users_asks_for_no_login(settings):
    plan = login_plan(settings)
    assert plan.auth is None and login_kwargs(plan) == {}
    assert "from this machine only" in plan.line() and "without a login" in plan.line()


def test_loopback_with_users_asks_for_no_login_unless_required(settings):
    _add(settings, "alice")
    assert login_plan(settings).auth is None
    plan = login_plan(settings.replace(require_login=True))
    assert plan.auth("alice", PASSWORDS["alice"]) and not plan.auth("alice", "wrong-password")
    assert "from this machine only" in plan.line() and "requires a login" in plan.line()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "example.org"])
def test_a_network_host_without_users_is_refused_saying_how_to_add_one(settings, host):
    with pytest.raises(LoginRequired) as e:
        login_plan(settings.replace(host=host))
    message = str(e.value)
    assert f"the host {host} makes the app reachable from the network" in message
    assert "coach users add NAME" in message and str(users_path(settings)) in message


def test_required_login_without_users_is_refused(settings):
    with pytest.raises(LoginRequired, match="COACH_REQUIRE_LOGIN is set.*coach users add NAME"):
        login_plan(settings.replace(require_login=True))


def test_a_network_host_with_users_gives_gradio_the_hash_check(settings):
    users = _add(settings, "alice", "bob")
    plan = login_plan(settings.replace(host="0.0.0.0", port=8123))
    kwargs = login_kwargs(plan)
    check = kwargs["auth"]
    assert check("alice", PASSWORDS["alice"]) and check("Bob", PASSWORDS["bob"])
    assert not check("alice", PASSWORDS["bob"]) and not check("carol", PASSWORDS["alice"]) and not check("", "")
    assert kwargs["auth_message"]
    assert plan.line() == (f"The app is reachable from the network at 0.0.0.0:8123 and requires a login (Gradio's "
                           f"login page; 2 users in {users.path}); each user has their own progress.")
    users.remove("bob")  # the file is read at each login: a removed user cannot log in any more
    assert not check("bob", PASSWORDS["bob"]) and check("alice", PASSWORDS["alice"])


def test_the_app_launch_passes_the_login_to_gradio_and_refuses_without_users(ui_services, monkeypatch):
    import gradio as gr

    from ui.app import build_app

    calls = []
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, *a, **kw: calls.append(kw))
    demo = build_app(ui_services.settings, ui_services, warm=False)
    with pytest.raises(LoginRequired):
        demo.launch(server_name="0.0.0.0")
    assert calls == []
    demo.launch()  # the host setting, loopback: no login
    assert calls[-1]["server_name"] == "127.0.0.1" and "auth" not in calls[-1]
    _add(ui_services.settings, "alice")
    demo.launch(server_name="0.0.0.0", server_port=9999)
    kw = calls[-1]
    assert kw["server_name"] == "0.0.0.0" and kw["auth"]("alice", PASSWORDS["alice"])
    assert not kw["auth"]("alice", "nope-nope") and demo.login.network and demo.login.port == 9999
    assert "theme" in kw and "css" in kw  # the look is still applied


# --- the served app -----------------------------------------------------------------------------
@pytest.fixture
def login_app(ui_services):
    """The app on 127.0.0.1 with the login forced on and two users."""
    from ui.app import build_app, launch

    settings = ui_services.settings.replace(require_login=True)
    _add(settings, "alice", "bob")
    demo = build_app(settings, ui_services)
    launch(demo, settings, server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield demo.local_url.rstrip("/")
    finally:
        demo.close()


def test_unauthenticated_requests_are_refused_and_a_login_works(login_app):
    import httpx

    with httpx.Client(base_url=login_app, timeout=30) as anonymous:
        for path in ("/config", "/gradio_api/info", "/gradio_api/file=/etc/hostname"):
            assert anonymous.get(path).status_code == 401, path
        r = anonymous.post("/gradio_api/queue/join", json={"data": ["what is canary", []], "fn_index": 0,
                                                           "session_hash": "x1", "event_data": None})
        assert r.status_code == 401
        assert anonymous.post("/gradio_api/call/progress", json={"data": []}).status_code == 401
        assert anonymous.post("/login", data={"username": "alice", "password": "wrong-password"}).status_code == 400
        assert anonymous.get("/config").status_code == 401
    with httpx.Client(base_url=login_app, timeout=30) as user:
        assert user.post("/login", data={"username": "alice", "password": PASSWORDS["alice"]}).status_code == 200
        config = user.get("/config")
        assert config.status_code == 200 and "components" in config.json()
        assert user.get("/gradio_api/info").status_code == 200


def test_two_users_at_once_keep_their_progress_apart(login_app, ui_services):
    from gradio_client import Client

    bank = ui_services.question_bank()
    counts = {"alice": 2, "bob": 1}
    results, errors = {}, []

    def practise(name: str) -> None:
        try:
            client = Client(login_app, auth=(name, PASSWORDS[name]), verbose=False, download_files=False)
            chat, _ = client.predict([], False, counts[name], api_name="/interview_start")
            for _ in range(counts[name]):
                item = next(q for q in bank if q.question in _assistant(chat)[-1])
                chat, _, _ = client.predict(on_topic_answer(item), api_name="/interview_answer")
                if "Follow-up" in _assistant(chat)[-1]:
                    chat, _ = client.predict(api_name="/interview_skip")  # on to the next question
            client.predict(api_name="/interview_end")
            if name == "bob":
                client.predict("zzqx flarbnog quuxwip", api_name="/ask")  # a gap in the notes
            results[name] = {"progress": client.predict(api_name="/progress"), "notes": client.predict(api_name="/notes")}
        except Exception as e:  # reported by the main thread
            errors.append(f"{name}: {e!r}")

    threads = [threading.Thread(target=practise, args=(n,)) for n in counts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    assert not errors, errors
    for name, n in counts.items():
        store = ui_services.progress_for(name)
        assert len(store.history()) == n and len(store.sessions()) == 1, name
        overview, _, table, _, sessions, reports = results[name]["progress"]
        assert f"{n} answer" in overview and len(sessions["data"]) == 1 and len(reports) == 1
    # the single-user store saw nothing; the gap is bob's alone
    assert ui_services.progress_store.history() == [] and ui_services.progress_store.gaps() == []
    assert [g["question"] for g in ui_services.progress_for("bob").gaps()] == ["zzqx flarbnog quuxwip"]
    assert ui_services.progress_for("alice").gaps() == []
    assert "zzqx" in results["bob"]["notes"][2] and "zzqx" not in results["alice"]["notes"][2]
    # each user's report in their own folder
    assert {p.parent.name for p in (ui_services.settings.paths.reports_dir / "users").glob("*/*.md")} == {"alice", "bob"}


def test_a_re_index_keeps_every_users_history_in_step_with_the_notes(ui_services):
    from rag.services import build_services

    bank = ui_services.question_bank()
    gone = next(q for q in bank if q.file == sorted({q.file for q in bank})[-1])
    kept = next(q for q in bank if q.file != gone.file)
    ui_services.progress_for("alice").record_answer(gone.qid, gone.topic, 30, item=gone)
    ui_services.progress_for("bob").record_answer(kept.qid, kept.topic, 80, item=kept)
    (ui_services.settings.paths.corpus_dir / gone.file).unlink()
    # a fresh process: the users' stores are found on disk, not only those opened before
    fresh = build_services(ui_services.settings, embeddings=ui_services.embeddings, chat_model=ui_services.chat_model)
    report = fresh.ingest()
    assert "archived the practice history of 1 question(s) no longer in the notes (it comes back if they do)" \
        in report.warnings
    assert gone.qid not in fresh.progress_for("alice").cards() and kept.qid in fresh.progress_for("bob").cards()
    assert fresh.progress_store.cards() == {}
