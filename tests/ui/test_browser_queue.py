"""In the browser, with fakes: a question sent while an answer streams is queued and answered next,
and typing during a stream is not wiped."""

import time

import pytest

from conftest import CannedChat, app_services, served

pytestmark = [pytest.mark.slow, pytest.mark.browser]


class SlowChat(CannedChat):
    """Streams its canned answer at ~8 words/s, like the real model."""

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        for chunk in super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs):
            time.sleep(0.12)
            yield chunk


@pytest.fixture
def slow_app(tmp_path):
    with served(app_services(tmp_path, SlowChat())) as url:
        yield url


def test_a_question_sent_during_a_stream_is_answered_next(slow_app):
    from playwright.sync_api import sync_playwright

    from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(slow_app)
            box = page.locator("#ask-input textarea")
            box.wait_for(timeout=60_000)
            box.fill("What is MLOps?")
            box.press("Enter")
            page.wait_for_function("""() => [...document.querySelectorAll('#ask-chat .message.bot')]
                .some(m => m.innerText.trim().length > 0)""", timeout=30_000)
            box.press_sequentially("How do you monitor models?", delay=20)  # while the first answer streams
            assert box.input_value() == "How do you monitor models?"  # not wiped by the stream
            box.press("Enter")
            page.wait_for_function("""() => document.querySelectorAll('#ask-chat .message.user').length === 2
                && document.querySelector('#sources-panel .sources-foot')""", timeout=60_000)
            page.wait_for_function("""() => { const b = document.querySelectorAll('#ask-chat .message.bot');
                return b.length === 2 && b[1].innerText.trim().length > 20; }""", timeout=60_000)
            users = page.locator("#ask-chat .message.user").all_inner_texts()
            assert [u.strip() for u in users] == ["What is MLOps?", "How do you monitor models?"]
        finally:
            browser.close()
