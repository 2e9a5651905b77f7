"""In the browser, with fakes, at a phone's size (390x844): every tab fits the screen's width once its
content is there (the Ask tab with an answer and its sources, a mock interview with a question and a
graded answer's scorecard, Progress after that answer, Notes with its files table).

Nothing makes the page wider than the screen (``scrollWidth``), nothing sticks out past its right
edge unless it is inside a box that scrolls sideways itself (a wide table, the chart), all four tabs
are in the tab bar, and no table header is clipped or split inside a word.  Screenshots of each tab
go to tests/artifacts/phone-*.png.
"""

from __future__ import annotations

import pytest

from conftest import app_services, served

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
TABS = ("Ask", "Mock interview", "Progress", "Notes")

# The page's widths, and the elements whose right edge is past the screen's and that no box scrolling
# sideways (overflow-x auto/scroll) within the screen holds: content the page would show cut off.
_WIDTHS_JS = r"""() => {
    const iw = window.innerWidth;
    const held = el => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            const s = getComputedStyle(a);
            if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && a.getBoundingClientRect().right <= iw + 1) return true;
        }
        return false;
    };
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect(), s = getComputedStyle(el);
        if (!r.width || !r.height || r.right <= iw + 1 || s.visibility === 'hidden' || held(el)) continue;
        if ([...el.children].some(c => c.getBoundingClientRect().right > iw + 1)) continue;  // its child is the one
        out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${String(el.className).split(' ')[0]} `
                 + `"${(el.innerText || '').trim().slice(0, 30)}" ${Math.round(r.right - iw)} px past the edge`);
    }
    return {doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, inner: iw, out: out}; }"""

# Table headers of the visible tab that are cut off, or whose single word is split over two lines.
_HEADERS_JS = r"""() => [...document.querySelectorAll('th span')].filter(s => s.offsetWidth).flatMap(s => {
    const text = s.innerText.trim(), range = document.createRange();
    range.selectNodeContents(s);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    return s.scrollWidth > s.clientWidth + 1 ? [`${text}: cut off`]
         : (!/\s/.test(text) && lines > 1) ? [`${text}: split over ${lines} lines`] : []; })"""


@pytest.fixture
def phone_app(tmp_path):
    with served(app_services(tmp_path)) as url:
        yield url


def test_every_tab_fits_a_phone_screen(phone_app):
    from playwright.sync_api import sync_playwright

    from tests.ui.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}

    def check(page, tab: str) -> None:
        page.wait_for_timeout(500)  # the tables size their columns after they are drawn
        widths = page.evaluate(_WIDTHS_JS)
        found = [f"the page is {widths[k]} px wide, the screen {widths['inner']} px ({k})"
                 for k in ("doc", "body") if widths[k] > widths["inner"]]
        found += widths["out"][:12] + page.evaluate(_HEADERS_JS)
        # all four tabs in the bar, none behind Gradio's overflow menu
        found += [f"the {name} tab is not in the tab bar" for name in TABS
                  if not page.get_by_role("tab", name=name, exact=True).is_visible()]
        if found:
            problems[tab] = found
        page.screenshot(path=str(ARTIFACTS / f"phone-{tab.split()[-1].lower()}.png"), full_page=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=PHONE)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(phone_app)
            box = page.locator("#ask-input textarea")
            box.wait_for(timeout=60_000)
            check(page, "Ask examples")  # the example cards
            box.fill("explain canary vs blue-green")
            box.press("Enter")
            page.wait_for_selector("#sources-panel .sources-foot", timeout=60_000)  # the answer is complete
            assert page.locator("#sources-panel .src").count() >= 1
            assert page.locator("#ask-chat .message.bot").last.inner_text().strip()
            check(page, "Ask")

            page.get_by_role("tab", name="Mock interview").click()
            page.click("#iv-start")
            page.wait_for_function("() => document.querySelector('#iv-chat').innerText.includes('Question 1 of')",
                                   timeout=60_000)
            answer = page.locator("#iv-input textarea")
            answer.fill("A canary sends a small share of traffic to the new version first, then all of it.")
            answer.press("Enter")
            page.wait_for_selector("#scorecard .sc-score", timeout=60_000)
            page.wait_for_function("""() => ['Follow-up', 'Question 2 of', 'Interview ended'].some(
                t => document.querySelector('#iv-chat').innerText.includes(t))""", timeout=60_000)
            assert page.locator("#scorecard .sc-points li").count() >= 1
            check(page, "Mock interview")

            page.get_by_role("tab", name="Progress").click()
            page.wait_for_selector("#progress-overview .overview:not(.empty)", timeout=30_000)
            page.wait_for_function("() => document.querySelector('#mastery-table tbody, #mastery-table .virtual-row')",
                                   timeout=30_000)
            page.wait_for_selector("#mastery-plot img", timeout=30_000)
            check(page, "Progress")

            page.get_by_role("tab", name="Notes").click()
            page.wait_for_function("() => document.querySelector('#notes-table').innerText.includes('.txt')",
                                   timeout=30_000)
            check(page, "Notes")
            assert not errors, errors
        finally:
            browser.close()

    assert not problems, "at 390x844:\n" + "\n".join(
        f"{tab}: {line}" for tab, lines in problems.items() for line in lines)
