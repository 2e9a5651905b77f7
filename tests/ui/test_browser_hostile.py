"""In the browser, with fakes: notes whose headings, bodies and file name carry markup (``<img>`` to
a local HTTP server, ``<script>``, ``<svg onload>``, markdown images and ``javascript:`` links)
show as text in every tab, and the browser never fetches anything from them.

The hostile strings reach every panel: the Ask tab's example cards, chat and sources (the canned
model echoes an ``<img>`` too), a gap in the Notes tab, the Mock interview's question, hint, model
answer, scorecard and summary, the topics dropdown, the Progress tab's tables, due cards and
chart, and the Notes tab's file table.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import CannedChat, app_services, served

pytestmark = [pytest.mark.slow, pytest.mark.browser]


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def hostile_note(port: int) -> str:
    img = f'<img src="http://127.0.0.1:{port}/{{}}.png">'
    tail = (f"![x](http://127.0.0.1:{port}/md.png) and [click](javascript:window.xssMark=2) "
            f"\"><svg onload=\"window.xssMark=3\"></svg> `{img.format('code')}` then all of it.")
    return (f"# Deploy {img.format('h1')} notes\n\n"
            f"Intro {img.format('intro')} text.\n\n"
            f"## Rollouts {img.format('topic')} <script>window.xssMark = 1</script>\n\n"
            f"* **Q: What is a canary {img.format('q')} release?**\n"
            f"    - *A:* A canary sends a small share of traffic {img.format('a')} to the new version {tail}\n"
            f"* **Q: How does blue-green deployment work {img.format('q2')}?**\n"
            f"    - *A:* Two environments; traffic switches at once {img.format('a2')} from blue to green {tail}\n")


# Any element in the page that came from the notes: an attribute pointing at the counting server,
# an inline handler or javascript: URL, or a script setting the marker.
# (Text attributes such as aria-label and title may hold the markup as text, and a bare URL in the
# notes may become a link, which fetches nothing: that is fine.)
_INJECTED_JS = """(port) => {
    const urls = ['src', 'srcset', 'xlink:href', 'data', 'poster', 'action', 'formaction', 'background', 'style'];
    return [...document.querySelectorAll('*')].filter(el =>
        [...el.attributes].some(a => (urls.includes(a.name) && a.value.includes('127.0.0.1:' + port))
                                     || a.name.startsWith('on')
                                     || a.value.trim().toLowerCase().startsWith('javascript:'))
        || (el.tagName === 'SCRIPT' && el.textContent.trim().startsWith('window.xssMark'))).map(el => el.outerHTML.slice(0, 160)); }"""


@pytest.fixture
def hostile_app(tmp_path):
    _Counter.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # backslashes: a browser reads src=\\host:port\x as //host:port/x (a file name has no "/")
    (corpus / f"<img src=\\\\127.0.0.1:{port}\\file.png>.md").write_text(hostile_note(port), encoding="utf-8")
    chat = CannedChat(answer=f'A canary goes first <img src="http://127.0.0.1:{port}/llm.png"> [1].')
    try:
        with served(app_services(tmp_path, chat, corpus=corpus)) as url:
            yield url, port
    finally:
        server.shutdown()


def _bot_count(page, chat: str) -> int:
    return page.locator(f"{chat} .message.bot").count()


def _wait_bots(page, chat: str, more_than: int, text: str = "") -> None:
    page.wait_for_function(f"""() => {{ const b = document.querySelectorAll('{chat} .message.bot');
        return b.length > {more_than} && b[b.length - 1].innerText.includes({text!r}); }}""", timeout=60_000)


def test_note_markup_is_shown_as_text_in_every_tab_and_fetches_nothing(hostile_app):
    from playwright.sync_api import sync_playwright

    from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS

    url, port = hostile_app
    found: dict[str, list[str]] = {}

    def check(page, where: str) -> None:
        page.wait_for_timeout(400)  # let any injected image start loading
        found[where] = page.evaluate(_INJECTED_JS, port)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            box = page.locator("#ask-input textarea")
            box.wait_for(timeout=60_000)
            # the example cards are the notes' questions
            page.wait_for_function("() => document.querySelector('#ask-chat').innerText.includes('What is a canary')",
                                   timeout=30_000)
            examples = page.locator("#ask-chat").inner_text()
            check(page, "ask examples")
            box.fill("zzqx flarbnog quuxwip")  # not in the notes: a gap, the nearest topics listed
            box.press("Enter")
            page.wait_for_selector("#sources-panel .not-covered", timeout=60_000)
            _wait_bots(page, "#ask-chat", 0)
            ask_text = page.locator("#sources-panel").inner_text()
            check(page, "ask, not covered")
            box.fill("what is a canary release")
            box.press("Enter")
            page.wait_for_selector("#sources-panel .sources-foot", timeout=60_000)
            ask_text += page.locator("#ask-chat").inner_text() + page.locator("#sources-panel").inner_text()
            check(page, "ask")

            page.get_by_role("tab", name="Mock interview").click()
            page.locator("#iv-topics input").click()  # the dropdown lists the (hostile) topic
            page.wait_for_timeout(500)
            options = page.locator("ul[role='listbox']").inner_text()
            check(page, "topics dropdown")
            page.keyboard.press("Escape")
            page.click("#iv-start")
            page.wait_for_function("() => document.querySelector('#iv-chat').innerText.includes('Question 1 of')",
                                   timeout=60_000)
            n = _bot_count(page, "#iv-chat")
            page.click("#iv-hint")
            _wait_bots(page, "#iv-chat", n, "Hint")
            n = _bot_count(page, "#iv-chat")
            page.click("#iv-show")
            _wait_bots(page, "#iv-chat", n, "Question 2 of")
            shown_answer = page.locator("#iv-chat").inner_text()
            answer = page.locator("#iv-input textarea")
            answer.fill("A canary sends a small share of traffic to the new version; two environments switch.")
            answer.press("Enter")
            page.wait_for_selector("#scorecard .sc-score", timeout=60_000)
            page.wait_for_function("""() => ['Follow-up', 'Interview ended'].some(
                t => document.querySelector('#iv-chat').innerText.includes(t))""", timeout=60_000)
            check(page, "interview")
            if "Interview ended" not in page.locator("#iv-chat").inner_text():
                page.click("#iv-end")
            page.wait_for_selector("#scorecard.summary, #scorecard .summary", timeout=60_000)
            summary = page.locator("#scorecard").inner_text()
            check(page, "interview summary")

            page.get_by_role("tab", name="Progress").click()
            page.wait_for_selector("#progress-overview .overview", timeout=30_000)
            page.wait_for_selector("#due-panel .due-q", timeout=30_000)
            progress_text = page.locator("#tab-progress").inner_text()
            check(page, "progress")

            page.get_by_role("tab", name="Notes").click()
            page.wait_for_function("() => document.querySelector('#notes-table').innerText.includes('.md')",
                                   timeout=30_000)
            page.wait_for_selector("#notes-gaps .gaps-q", timeout=30_000)
            notes_text = page.locator("#tab-notes").inner_text()
            check(page, "notes")
            page.wait_for_timeout(1_000)
            assert not errors, errors
            assert page.evaluate("() => window.xssMark === undefined")
        finally:
            browser.close()

    injected = {where: hits for where, hits in found.items() if hits}
    assert not injected, "elements made from the notes' markup:\n" + "\n".join(
        f"{where}: {el}" for where, hits in injected.items() for el in hits)
    assert _Counter.hits == [], f"the browser fetched from the notes' markup: {_Counter.hits}"
    # the markup is there, as text: the test saw the hostile strings
    tag = f'<img src="http://127.0.0.1:{port}/'
    assert f"{tag}q.png\"> release?" in examples
    assert f"{tag}q.png\">" in ask_text and f"{tag}llm.png\">" in ask_text
    assert f"{tag}topic.png\">" in options
    assert "![x](http://127.0.0.1:" in shown_answer and "<svg onload=" in shown_answer
    assert "<script>window.xssMark = 1</script>" in summary
    assert f"{tag}q" in progress_text
    assert f"<img src=\\\\127.0.0.1:{port}\\file.png>.md" in notes_text, notes_text
    assert f"nearest: What is a canary {tag}q.png\">" in notes_text
