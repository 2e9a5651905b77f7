"""The app served for real (fake embeddings, canned chat model) and driven with gradio_client."""

from __future__ import annotations

import re

import pytest
from gradio_client import Client, handle_file
from langchain_core.embeddings import Embeddings

from conftest import FAKE_SCALE, app_services, on_topic_answer, served


pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def client(running_app):
    """A fresh app (its own notes copy, index and progress) per test: no test depends on another."""
    return Client(running_app, verbose=False, download_files=False)


def _text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def _assistant(chat: list[dict]) -> list[str]:
    return [_text(m) for m in chat if m["role"] == "assistant"]


def test_endpoints_are_named(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/ask", "/ask_clear", "/interview_start", "/interview_answer", "/interview_hint", "/interview_skip",
            "/interview_show", "/interview_end", "/progress", "/notes", "/reindex", "/upload_notes"} <= names


def test_ask_streams_sources_first_then_the_answer_with_linked_citations(client):
    job = client.submit("explain canary vs blue-green", api_name="/ask")
    final = job.result()
    updates = job.outputs()
    chat, sources, box = final
    # the box is cleared when the question is taken, then left alone (the next one may be typed)
    assert updates[0][2] == "" and all(u[2] == {"__type__": "update"} for u in updates[1:])
    # the sources panel is filled before any answer text arrives
    first_sources = next(i for i, (_, s, _) in enumerate(updates) if 'id="src-1"' in s)
    first_answer = next(i for i, (c, _, _) in enumerate(updates) if _assistant(c) and _assistant(c)[0].strip())
    assert first_sources < first_answer
    # the answer streamed: several growing versions of it
    lengths = [len(_assistant(c)[0]) for c, _, _ in updates if _assistant(c)]
    assert len(set(lengths)) >= 3 and lengths == sorted(lengths)
    answer = _assistant(chat)[-1]
    assert "Canary shifts traffic gradually [[1]](#src-1)." in answer
    assert "Blue-green swaps environments [[2]](#src-2)." in answer
    assert 'id="src-1"' in sources and 'id="src-2"' in sources and 'class="src cited"' in sources
    assert "Searching" not in sources and "answered in" in sources


def test_follow_up_keeps_earlier_sources_and_relinks_earlier_citations(client):
    client.predict(api_name="/ask_clear")
    client.predict("explain canary vs blue-green", api_name="/ask")
    chat, sources, _ = client.predict("and how do you roll it back?", api_name="/ask")
    first, second = _assistant(chat)
    assert "(#src-1-1)" in first and "(#src-1)" in second
    assert 'id="src-1-1"' in sources and 'id="src-1"' in sources and "Earlier:" in sources
    chat, sources, _ = client.predict(api_name="/ask_clear")
    assert chat == [] and "Tips" in sources


def test_question_outside_the_notes_gets_nearest_topics(client):
    chat, sources, _ = client.predict("zzqx flarbnog quuxwip", api_name="/ask")
    assert "My notes don't cover that" in _assistant(chat)[-1]
    assert "Not in your notes" in sources and "src-1" not in sources.split("Not in your notes")[1]


def test_empty_question_changes_nothing(client):
    client.predict(api_name="/ask_clear")
    chat, _, _ = client.predict("   ", api_name="/ask")
    assert chat == []


def test_interview_question_score_feedback_followup_and_summary(client, ui_services):
    chat, card = client.predict([], False, 2, api_name="/interview_start")
    assert re.search(r"Question 1 of 2", _assistant(chat)[-1])
    assert "Scorecard" in card
    item = next(q for q in ui_services.question_bank() if q.question in _assistant(chat)[-1])

    job = client.submit(on_topic_answer(item), api_name="/interview_answer")
    final = job.result()
    updates = job.outputs()
    chat, card, box = final
    assert updates[0][2] == "" and all(u[2] == {"__type__": "update"} for u in updates[1:])
    # the score is shown before any feedback text streams
    scored = next(i for i, (_, c, _) in enumerate(updates) if "sc-score" in c)
    fed = next(i for i, (c, _, _) in enumerate(updates) if any("Good start." in t for t in _assistant(c)))
    assert scored < fed
    assert "Scoring your answer" in updates[0][1] or "Scoring your answer" in updates[1][1]
    assert re.search(r'class="sc-score">\d+<', card) and "sc-points" in card
    texts = _assistant(chat)
    assert any(t.startswith("Score **") and "Good start." in t and "Follow-up:" not in t for t in texts)
    assert not any("Feedback:" in t for t in texts)  # the model's label is not shown
    assert texts[-1].startswith("**Follow-up** \u00b7 What else do your notes say about ") and texts[-1].endswith("?")

    chat, card, _ = client.predict("I would switch traffic back to the stable version and keep the old model warm.",
                                   api_name="/interview_answer")
    texts = _assistant(chat)
    assert any(t.startswith("Follow-up score **") for t in texts)
    assert "Question 2 of 2" in texts[-1] and "Follow-up" in card

    chat, card = client.predict(api_name="/interview_hint")
    assert _text(chat[-2]) == "Hint, please." and _assistant(chat)[-1].startswith(("Hint:", "No more hints"))
    chat, card = client.predict(api_name="/interview_show")
    texts = _assistant(chat)
    assert any(t.startswith("Answer from your notes") for t in texts)
    assert texts[-1].startswith("**Interview ended**") and "Interview summary" in card
    assert "Weakest" in card and "Coming back" in card


def test_dispute_a_missed_point_regrades(client, ui_services):
    bank = ui_services.question_bank()
    # a topic whose every question has a long reference answer: a short answer misses some of it
    topic = next(t for t in sorted({q.topic for q in bank})
                 if all(len(q.answer.split()) >= 60 for q in bank if q.topic == t))
    chat, card = client.predict([topic], False, 1, api_name="/interview_start")
    item = next(q for q in ui_services.question_bank() if q.question in _assistant(chat)[-1])
    chat, card, _ = client.predict(on_topic_answer(item), api_name="/interview_answer")
    old = int(re.search(r'class="sc-score">(\d+)<', card).group(1))
    assert "Grade wrong?" not in card
    kinds = re.findall(r'<li class="(\w+)"', card)
    missed = kinds.count("miss")
    assert missed
    chat, card, point = client.predict(kinds.index("miss"), api_name="/interview_dispute")
    new = int(re.search(r'class="sc-score">(\d+)<', card).group(1))
    assert new > old and card.count('class="miss"') == missed - 1
    assert _assistant(chat)[-1].startswith("Regraded: you covered") and f"{old} \u2192 **{new}**" in _assistant(chat)[-1]


@pytest.fixture
def levelled_client(tmp_path):
    """The app over notes whose headings name levels ("1. Very Basic Level:", "MLOps Basics",
    "Advanced Questions")."""
    from conftest import CannedChat, FakeEmbeddings, free_port, make_corpus
    from core.settings import Settings
    from rag.services import build_services
    from ui.app import build_app, launch

    corpus = make_corpus(tmp_path / "corpus", names=("000_5dc1b29d7c63d496.txt", "001_96c6a94c357aef9e.txt"))
    services = build_services(Settings(corpus_dir=corpus, data_dir=tmp_path / "data", **FAKE_SCALE),
                              embeddings=FakeEmbeddings(dim=4096), chat_model=CannedChat())
    services.ingest()
    demo = build_app(services.settings, services)
    launch(demo, services.settings, server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield Client(demo.local_url, verbose=False, download_files=False), services
    finally:
        demo.close()


def _level_dropdown(client) -> dict:
    return next(c["props"] for c in client.config["components"] if c["props"].get("elem_id") == "iv-level")


def test_level_dropdown_offers_the_levels_of_the_notes_and_starts_there(levelled_client):
    from rag.interview.levels import level_of

    client, services = levelled_client
    counts = {lv: sum(level_of(q.headings) == lv for q in services.question_bank()) for lv in ("very basic", "basic", "advanced")}
    assert all(counts.values())
    dropdown = _level_dropdown(client)
    assert dropdown["value"] == "any" and [list(c) for c in dropdown["choices"]] == [
        ["Any level", "any"], [f"Very basic ({counts['very basic']})", "very basic"],
        [f"Basic ({counts['basic']})", "basic"], [f"Advanced ({counts['advanced']})", "advanced"]]
    params = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/interview_start"]["parameters"]
    assert [p["parameter_name"] for p in params] == ["topics", "weak", "count", "level"]
    assert params[-1]["parameter_default"] == "any"

    chat, card = client.predict([], False, 2, "advanced", api_name="/interview_start")
    header = _assistant(chat)[-1]
    assert header.startswith("**Question 1 of 2** \u00b7 Advanced level \u00b7 _Advanced Questions_")
    chat, card = client.predict([], False, 2, "very basic", api_name="/interview_start")
    assert "Very basic level" in _assistant(chat)[-1]


def test_level_dropdown_without_levels_in_the_notes_is_any_level_only(client):
    assert [list(c) for c in _level_dropdown(client)["choices"]] == [["Any level", "any"]]
    chat, card = client.predict([], False, 1, "any", api_name="/interview_start")
    assert re.match(r"\*\*Question 1 of 1\*\* \u00b7 _", _assistant(chat)[-1])  # no level to show


def test_answer_without_an_interview_is_a_warning_not_an_error(client):
    other = Client(client.src, verbose=False)
    chat, card, box = other.predict("my answer", api_name="/interview_answer")
    assert chat == []


def test_commands_after_the_end_do_not_crash(client):
    client.predict([], False, 1, api_name="/interview_start")
    chat, card = client.predict(api_name="/interview_end")
    assert _assistant(chat)[-1] == "**Interview ended.** No questions were answered."
    chat2, _ = client.predict(api_name="/interview_skip")
    assert chat2 == chat


def test_progress_shows_mastery_due_cards_sessions_and_reports(client):
    overview, plot, table, due, sessions, reports = client.predict(api_name="/progress")
    assert not table["data"] and "No answers yet" in overview and not reports  # nothing answered yet
    client.predict([], False, 1, api_name="/interview_start")
    client.predict("You version the data and the model and roll back on a metric drop.", api_name="/interview_answer")
    client.predict(api_name="/interview_end")
    overview, plot, table, due, sessions, reports = client.predict(api_name="/progress")
    assert len(reports) == 1 and reports[0]["orig_name"].endswith(".md")
    import httpx

    text = httpx.get(reports[0]["url"], timeout=10).text
    assert text.startswith("# ") and "> You version the data and the model and roll back on a metric drop." in text
    assert "1 answer" in overview and "mean" in overview
    assert plot is not None
    assert table["data"] and len(table["headers"]) == 4
    assert "Due now" in due
    assert sessions["data"] and sessions["headers"][:3] == ["Started (UTC)", "Answers", "Mean"]


def test_notes_lists_indexed_files(client, ui_services):
    summary, table, gaps = client.predict(api_name="/notes")
    files = [row[0] for row in table["data"]]
    assert files == ["003_eba972981bf49b22.txt", "004_acdbecc340a2dbb9.txt"]
    assert "**2 notes**" in summary and "last indexed" in summary
    assert all(int(row[1]) > 0 for row in table["data"])


def test_reindex_reports_an_unchanged_corpus(client):
    line, summary, table, status = client.predict(api_name="/reindex")
    assert line.startswith("Indexed 2 files") and "(0 embedded)" in line
    assert "2 notes" in status


def test_upload_writes_only_inside_the_corpus_and_ingests(client, ui_services, tmp_path):
    corpus = ui_services.settings.paths.corpus_dir
    outside_before = sorted(p.name for p in corpus.parent.iterdir())
    good = tmp_path / "feature store notes.md"
    good.write_text("# Feature stores\n\n## Why use one\n\n**Q:** When would you use a feature store?\n"
                    "**Answer:**\n\n> When several models share features and training/serving skew must be zero.\n",
                    encoding="utf-8")
    pdf = tmp_path / "slides.pdf"
    pdf.write_bytes(b"%PDF-1.7\x00binary")
    binary = tmp_path / "image.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    big = tmp_path / "big.txt"
    big.write_text("word " * 5000, encoding="utf-8")  # 25 KB > the 20 KB limit of the fixture
    message, summary, table, status, files = client.predict(
        [handle_file(str(p)) for p in (good, pdf, binary, big)], api_name="/upload_notes")
    assert "Added feature-store-notes.md." in message
    assert "Rejected slides.pdf: only .md, .markdown and .txt notes can be added." in message
    assert "Rejected image.md: this looks like a binary file" in message
    assert "Rejected big.txt: the file is 25 KB; the limit is 20 KB." in message
    assert "Indexed 3 files" in message
    assert (corpus / "feature-store-notes.md").is_file()
    assert sorted(p.name for p in corpus.iterdir()) == [
        "003_eba972981bf49b22.txt", "004_acdbecc340a2dbb9.txt", "feature-store-notes.md"]
    assert sorted(p.name for p in corpus.parent.iterdir()) == outside_before
    assert "feature-store-notes.md" in [row[0] for row in table["data"]] and "3 notes" in status
    assert any(q.file == "feature-store-notes.md" for q in ui_services.question_bank())
    # the same file again is recognised and not copied
    message, *_ = client.predict([handle_file(str(good))], api_name="/upload_notes")
    assert "Already in your notes (unchanged): feature-store-notes.md." in message


def test_two_users_keep_their_own_conversation_and_interview(client):
    other = Client(client.src, verbose=False)
    client.predict("explain canary vs blue-green", api_name="/ask")
    chat_b, _, _ = other.predict("what is a model registry?", api_name="/ask")
    assert [m["role"] for m in chat_b] == ["user", "assistant"]  # B does not see A's turn
    client.predict([], False, 1, api_name="/interview_start")
    chat_b, card_b, _ = other.predict("my answer", api_name="/interview_answer")
    assert chat_b == []  # B has no interview running
    chat_a, card_a, _ = client.predict("You shift a small share of traffic and roll back on errors.",
                                       api_name="/interview_answer")
    assert any(t.startswith("Score **") for t in _assistant(chat_a))


def test_gradio_refuses_an_upload_over_its_file_size_limit(client, ui_services, tmp_path):
    from ui.app import launch_kwargs

    limit = launch_kwargs(ui_services.settings)["max_file_size"]
    huge = tmp_path / "huge.md"
    huge.write_bytes(b"# Huge\n" + b"a" * (limit + 1000))
    with pytest.raises(Exception, match="(?i)too large|exceed|413|size"):
        client.predict([handle_file(str(huge))], api_name="/upload_notes")
    assert not (ui_services.settings.paths.corpus_dir / "huge.md").exists()


class _OneAtATimeChat:
    """Wraps the canned chat model: records how many generations run at once."""

    def __init__(self) -> None:
        import threading

        self.lock, self.running, self.most = threading.Lock(), 0, 0

    def wrap(self, stream):
        import time

        def slow(*args, **kwargs):
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
            try:
                time.sleep(0.5)
                yield from stream(*args, **kwargs)
            finally:
                with self.lock:
                    self.running -= 1
        return slow


def test_the_model_serves_one_request_at_a_time(tmp_path):
    from conftest import CannedChat, app_services, served

    chat = CannedChat()
    probe = _OneAtATimeChat()
    object.__setattr__(chat, "_stream", probe.wrap(chat._stream))
    with served(app_services(tmp_path, chat), warm=False) as url:
        users = [Client(url, verbose=False) for _ in range(3)]
        jobs = [u.submit("explain canary vs blue-green", api_name="/ask") for u in users]
        answers = [_assistant(job.result()[0])[-1] for job in jobs]
    assert all("Canary shifts traffic gradually" in a for a in answers)
    assert probe.most == 1  # three users, one generation at a time


def test_the_notes_tab_lists_gaps(client):
    _, _, gaps = client.predict(api_name="/notes")
    assert "None yet" in gaps


class _GatedEmbeddings(Embeddings):
    """Embeds documents only once ``gate`` is set (queries at once): an index build that takes
    as long as the test wants."""

    def __init__(self, inner) -> None:
        import threading

        self.inner, self.gate, self.waiting = inner, threading.Event(), threading.Event()
        self.gate.set()

    def embed_documents(self, texts):
        self.waiting.set()
        assert self.gate.wait(60), "the gate was never opened"
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def test_indexing_never_holds_up_a_question(tmp_path):
    """Re-indexing a long note runs in its own slot: a question asked meanwhile is answered from
    the previous index version while the build is still embedding."""
    from conftest import FakeEmbeddings, app_services, served

    gated = _GatedEmbeddings(FakeEmbeddings(dim=4096))
    services = app_services(tmp_path, embeddings=gated)
    try:
        with served(services, warm=False) as url:
            gated.gate.clear()
            gated.waiting.clear()
            (services.settings.paths.corpus_dir / "long.md").write_text("# Long note\n\n## What is a feature store?\n\n" + "word " * 3000)
            indexer, asker = Client(url, verbose=False), Client(url, verbose=False)
            build = indexer.submit(api_name="/reindex")
            assert gated.waiting.wait(30), "the re-index never started embedding"
            answer = _assistant(asker.submit("explain canary vs blue-green", api_name="/ask").result(timeout=30)[0])[-1]
            assert not build.done()  # the build was still embedding while the answer came
            gated.gate.set()
            report = build.result(timeout=60)[0]
    finally:
        gated.gate.set()
    assert "Canary shifts traffic gradually" in answer
    assert re.search(r"Indexed \d+ files.*: [1-9]\d* added", report), report


def test_six_users_at_once_each_get_the_answer_to_their_own_question(tmp_path):
    """Six questions sent together: each user's answer is the one the same question gets alone."""
    import re as _re

    from conftest import CannedChat, app_services, served

    class EchoNotes(CannedChat):
        """Answers with the first words of the note block it was given first: a mixed-up request
        shows as another question's words."""

        def _pick(self, messages):
            text = " ".join(str(m.content) for m in messages)
            block = _re.search(r"^\[1\][^\n]*\n(.*?)(?:\n\n|\Z)", text, _re.M | _re.S)
            return " ".join((block.group(1) if block else "nothing").split()[:12]) + " [1]."

    services = app_services(tmp_path, EchoNotes())
    with served(services, warm=False) as url:
        alone: dict[str, str] = {}  # six of the notes' own questions whose answers differ
        for item in services.question_bank():
            answer = _assistant(Client(url, verbose=False).predict(item.question, api_name="/ask")[0])[-1]
            if answer not in alone.values():
                alone[item.question] = answer
            if len(alone) == 6:
                break
        questions = list(alone)
        users = [Client(url, verbose=False) for _ in questions]
        jobs = [u.submit(q, api_name="/ask") for u, q in zip(users, questions)]
        together = {q: _assistant(job.result(timeout=120)[0])[-1] for q, job in zip(questions, jobs)}
    assert len(set(alone.values())) == len(questions)  # six different answers to tell apart
    assert together == alone


def test_a_page_of_another_origin_cannot_drive_the_app(running_app):
    """A browser only sends a JSON request to another origin after a preflight the app must not
    approve; the 'simple' requests it sends without one (text/plain, forms) must not run an event."""
    import json

    import httpx

    base = running_app.rstrip("/")
    evil = "http://evil.example"
    pre = httpx.options(f"{base}/gradio_api/queue/join", headers={
        "Origin": evil, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert pre.headers.get("access-control-allow-origin") not in (evil, "*")
    assert httpx.get(f"{base}/config", headers={"Origin": evil}).headers.get("access-control-allow-origin") not in (evil, "*")
    for path, body in (("/gradio_api/queue/join", {"data": ["What is a canary?", []], "fn_index": 0, "session_hash": "x"}),
                       ("/gradio_api/run/reindex", {"data": []})):
        r = httpx.post(base + path, headers={"Origin": evil, "Content-Type": "text/plain"}, content=json.dumps(body))
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])


def test_with_a_certificate_the_app_is_served_over_https(tmp_path):
    """Browsers allow the microphone only on https:// (or localhost): a phone needs TLS."""
    import ssl
    import subprocess
    import urllib.request

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=coach",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    services = app_services(tmp_path / "app", tls_certfile=cert, tls_keyfile=key)
    with served(services, warm=False) as url:
        assert url.startswith("https://")
        insecure = ssl.create_default_context()
        insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
        with urllib.request.urlopen(url, context=insecure, timeout=30) as r:
            assert r.status == 200 and b"coachMic" in r.read()


def test_a_certificate_without_its_key_is_refused_with_one_sentence(tmp_path):
    from core.settings import Settings

    (tmp_path / "c.pem").write_text("x")
    with pytest.raises(ValueError, match="set both COACH_TLS_CERTFILE and COACH_TLS_KEYFILE"):
        Settings(tls_certfile=tmp_path / "c.pem")
