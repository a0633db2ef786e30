"""A whole practice interview in a real Chromium, against the app served by uvicorn and an
interviewer behind the real OpenAI client talking to the local test server.

Needs Playwright (the ``dev`` extra) and a Chromium: ``$ROLEPLAY_CHROMIUM``, else ``chromium``
or ``chromium-browser`` on the PATH. Screenshots go to ``$ROLEPLAY_WEB_ARTIFACTS``, else the
test's temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

import uvicorn  # noqa: E402

from roleplay.llm.openai import AsyncOpenAIChatModel  # noqa: E402
from roleplay.persona import load_persona  # noqa: E402
from roleplay.testing import OpenAICompatServer, simulation_responder  # noqa: E402
from roleplay.web import create_app  # noqa: E402

# Slow: `pytest -m "not slow"` leaves this file out of the inner loop; CI runs it.
pytestmark = pytest.mark.slow

PERSONA = "warm-hr-screener"
XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 1">'
ANSWERS = [
    f"{XSS} I'm a support lead with six years in SaaS.",
    "At Acme our backlog doubled, so I set up a triage rota and a macros library; "
    "first-response time fell from 9 hours to 2 and CSAT rose 11 points.",
    "I'd start by listening to the team and reading the top ten ticket drivers.",
    "I want to help fix onboarding, which is the work I enjoy most.",
    "What would success look like in the first six months?",
    "What are the next steps, and when should I expect to hear back?",
    "Thank you, I'd love to join the team.",
    "Thanks again.",
]
# Records whether an interviewer turn was shown while still streaming (a turn element with no
# id yet, holding text), before the finished turn replaced it.
WATCH_STREAMING = """
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes)
    if (n.nodeType === 1 && n.matches('li.turn.interviewer:not([id])')) window.__live = true;
  for (const r of records) if (r.type === 'characterData' || r.type === 'childList') {
    const t = r.target.nodeType === 1 ? r.target : r.target.parentElement;
    const li = t && t.closest && t.closest('li.turn.interviewer:not([id])');
    if (li && li.textContent.trim()) window.__streamed = true;
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def _chromium() -> str | None:
    return (os.environ.get("ROLEPLAY_CHROMIUM") or shutil.which("chromium")
            or shutil.which("chromium-browser"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = _chromium()
    if path is None:
        pytest.skip("no Chromium found: set ROLEPLAY_CHROMIUM or put chromium on the PATH")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield instance
        instance.close()


@pytest.fixture
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("ROLEPLAY_WEB_ARTIFACTS")
    out = Path(folder) if folder else tmp_path_factory.mktemp("web-artifacts")
    out.mkdir(parents=True, exist_ok=True)
    return out


@contextmanager
def under_uvicorn(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            thread.join(0.01)
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The app under uvicorn on a free port, its interviewer behind the local test server."""
    persona = load_persona(PERSONA)
    with OpenAICompatServer(responder=simulation_responder([persona]),
                            chunk_delay=0.01) as llm:
        model = AsyncOpenAIChatModel("gpt-4o-mini", base_url=llm.base_url, api_key="test-key")
        sessions = tmp_path / "sessions"
        with under_uvicorn(create_app(model, sessions_dir=sessions)) as base:
            yield base, sessions


def _wait_for_turn_or_report(page: Any) -> bool:
    """True when it is the candidate's turn, False when the report is showing."""
    page.wait_for_function(
        "() => location.pathname.endsWith('/report') || "
        "(document.getElementById('send') && !document.getElementById('send').disabled)")
    return not page.url.endswith("/report")


def test_a_whole_practice_interview_in_chromium(browser: Any, served: tuple[str, Path],
                                                artifacts: Path) -> None:
    base, sessions = served
    page = browser.new_page()
    page.add_init_script(WATCH_STREAMING)
    page.goto(base + "/")
    page.locator(f"form:has(input[value='{PERSONA}']) button").click()
    assert _wait_for_turn_or_report(page)
    first = page.locator("#turns li.interviewer .text").first.inner_text()
    assert "could you tell me a little about yourself" in first

    page.fill("#answer", ANSWERS[0])
    page.click("#send")
    assert _wait_for_turn_or_report(page)
    # Checked on the reply to an answer, when the page is surely listening: the opening turn
    # can finish on a loaded machine before the page has connected to its event stream.
    assert page.evaluate("window.__live === true && window.__streamed === true"), \
        "the interviewer's words did not stream in before the turn was complete"
    shown = page.locator("#turns li.candidate .text").first.inner_text()
    assert XSS in shown  # shown as the characters typed
    assert page.evaluate("window.__pwned") is None
    page.fill("#answer", ANSWERS[1])
    page.click("#send")
    assert _wait_for_turn_or_report(page)
    page.screenshot(path=str(artifacts / "interview.png"), full_page=True)

    before = page.locator("#turns li").all_inner_texts()
    page.reload()
    assert _wait_for_turn_or_report(page)
    assert page.locator("#turns li").all_inner_texts() == before  # the same interview resumed

    for text in ANSWERS[2:]:
        page.fill("#answer", text)
        page.click("#send")
        if not _wait_for_turn_or_report(page):
            break
    else:
        page.click("#end")
        page.wait_for_url("**/report")
    page.wait_for_selector("#t1")
    page.screenshot(path=str(artifacts / "report.png"), full_page=True)

    sid = page.url.rsplit("/", 2)[-2]
    evaluation = json.loads((sessions / f"{sid}.evaluation.json").read_text())
    cited = {ev["turn"] for c in evaluation["criteria"] for ev in c["evidence"] if ev["verified"]}
    assert cited
    for turn in cited:
        item = page.locator(f"#t{turn}")
        assert "candidate" in (item.get_attribute("class") or "")
        assert item.locator("mark").count() + item.locator("li.evidence").count() >= 1
    assert page.locator("li.turn mark").count() >= 1
    assert XSS in page.locator("#t2 .text").inner_text()
    assert page.evaluate("window.__pwned") is None
    coaching = page.locator("li.turn li.coaching")
    if coaching.count():
        assert coaching.first.locator("xpath=ancestor::li[contains(@class,'turn')]").count() == 1
    page.close()
