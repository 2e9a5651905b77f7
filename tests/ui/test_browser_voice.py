"""A spoken mock-interview answer in Chromium, through the real microphone widget: Chromium's fake
microphone plays evals/data/spoken_clip.wav, the real whisper model (the speech extra) transcribes
it as it streams in, the transcript lands in the answer box, and the graded answer's score card
shows how it was said.  With "Interviewer speaks" on, the question and the grade are handed to the
browser's speech synthesis (stubbed here, to record what it is asked to say).  The Ask tab takes a
spoken question the same way.  Screenshots go to tests/artifacts/voice-*.png."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import app_services, served
from evals.golden import DATA
from rag.lexical import tokenize

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CLIP = DATA / "spoken_clip.wav"
SAID = (DATA / "spoken_clip.txt").read_text().strip()
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={CLIP}"]

# The browser's speech synthesis, recording what it is asked to say, with one voice of this machine.
SPEECH_STUB = """
window.__said = [];
window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
const voice = {name: "local", lang: "en-US", localService: true};
Object.defineProperty(window, "speechSynthesis", {value: {
  getVoices: () => [voice], speak: (u) => window.__said.push(u.text), cancel: () => {}}});
"""


def heard_share(text: str) -> float:
    """Share of the clip's content words in ``text`` (the fake microphone loops the clip, and the
    recording may start anywhere in it)."""
    said = set(tokenize(SAID))
    return len(said & set(tokenize(text))) / len(said)


def speak_into(page, mic: str, box: str, seconds: float = 8.0) -> str:
    page.click(mic)
    time.sleep(seconds)
    page.click(mic)
    page.wait_for_function(f"document.querySelector('{box} textarea').value.length > 0", timeout=60_000)
    return page.input_value(f"{box} textarea")


def test_a_spoken_answer_is_transcribed_graded_and_its_delivery_shown(tmp_path):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    services = app_services(tmp_path, real_speech=True)
    with served(services) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.add_init_script(SPEECH_STUB)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.get_by_role("tab", name="Mock interview").click()
            page.check("#iv-speak input")
            page.click("#iv-start")
            page.wait_for_function("window.__said.length > 0", timeout=60_000)
            assert page.evaluate("window.__said[0]").startswith("Question 1 of 5.")

            text = speak_into(page, "#iv-mic", "#iv-input")
            assert heard_share(text) >= 0.6, text
            note = page.inner_text("#iv-mic-note")
            assert note.startswith("Transcribed ") and "after you stopped" in note, note
            page.screenshot(path=str(ARTIFACTS / "voice-transcript.png"), full_page=True)

            page.click("#iv-send")
            page.wait_for_selector("#scorecard .sc-delivery", timeout=120_000)
            delivery = page.inner_text("#scorecard .sc-delivery")
            assert "How you said it" in delivery and "words a minute" in delivery, delivery
            assert page.input_value("#iv-input textarea") == ""  # taken, box cleared
            page.wait_for_function("window.__said.some(t => t.startsWith('You scored'))", timeout=120_000)
            page.screenshot(path=str(ARTIFACTS / "voice-graded.png"), full_page=True)

            page.get_by_role("tab", name="Ask").click()
            question = speak_into(page, "#ask-mic", "#ask-input", seconds=5.0)
            assert heard_share(question) >= 0.4, question
            assert not errors, errors
        finally:
            browser.close()
