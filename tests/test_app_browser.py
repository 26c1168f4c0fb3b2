"""The web app as a parent and a teacher use it: the real app on loopback, driven by headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from pydantic import SecretStr

from assistant import Assistant, Settings
from assistant.feedback import FeedbackStore
from assistant.web import WebApp, create_app, launch_options

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
QUESTION = "三年级每天的书面作业不超过多长时间？"
XSS = "<script>window.__xss=1</script>"
WAIT_MS = 60_000
ADMIN_TOKEN = "测试口令-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------- fixtures


def with_admin_token(settings: Settings, token: str) -> Settings:
    return settings.model_copy(
        update={"app": settings.app.model_copy(update={"admin_token": SecretStr(token)})}
    )


@pytest.fixture(scope="module")
def app(settings, assistant):
    """The real app (queue, handlers, index job) on a free loopback port, over the session's index."""
    demo, web = create_app(assistant, with_admin_token(settings, ADMIN_TOKEN))
    assert web.job.wait(timeout=120).ready, web.job.state()
    options = launch_options(settings, "127.0.0.1", free_port())
    demo.launch(prevent_thread_lock=True, quiet=True, **options)
    yield f"http://127.0.0.1:{options['server_port']}", web
    demo.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Checked before the session's index is built, so a machine without Chromium finds out at once."""
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "playwright is not installed (pip install -e '.[dev]')"
    if reason is None and not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM}: install Debian's with `apt-get install -y chromium`"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(chromium_path, browser, app, request):
    url, _ = app
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    outside: list[str] = []

    def loopback_only(route):
        # The app must work offline: anything not served by the app itself is refused and remembered.
        target = route.request.url
        host = urlparse(target).hostname or ""
        if target.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(target)
            route.abort()

    page.route("**/*", loopback_only)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector("#status-banner .banner.ok")
    yield page
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{request.node.name}-end.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not outside, f"the page tried to reach beyond loopback: {outside}"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ask(page, text: str) -> None:
    """Type a question, send it, and wait until the streamed answer is complete."""
    answers_before = page.locator("#chat .answer").count()
    page.fill("#question textarea", text)
    page.click("#send")
    page.wait_for_function(
        """n => { const a = document.querySelectorAll('#chat .answer');
                  return a.length > n && !a[a.length - 1].querySelector('.caret'); }""",
        arg=answers_before,
    )


def last_answer(page):
    return page.locator("#chat .answer").last


# ---------------------------------------------------------------------------- browser tests


@pytest.mark.browser
def test_chat_streams_cited_answer_with_conflict_notice_and_feedback(page, app, settings):
    # Record every length the answer text goes through, to see that it streams rather than appears at once.
    page.evaluate("""() => {
        window.__lengths = [];
        new MutationObserver(() => {
            const a = document.querySelectorAll('#chat .answer-text');
            if (a.length) window.__lengths.push(a[a.length - 1].textContent.length);
        }).observe(document.querySelector('#chat'), {subtree: true, childList: true, characterData: true});
    }""")
    ask(page, QUESTION)
    lengths = page.evaluate("window.__lengths")
    assert len(set(lengths)) >= 3, f"answer did not stream: {lengths}"

    answer = last_answer(page)
    assert "[1]" in answer.locator(".answer-text").inner_text()
    notice = answer.locator(".conflict-notice")
    assert notice.is_visible()
    assert "各文件规定不一致" in notice.inner_text()

    cards = answer.locator("details.cite")
    assert cards.count() >= 2
    first = cards.first
    assert "[1]" in first.locator("summary").inner_text()
    assert "《" in first.locator("summary").inner_text()
    assert not first.locator(".cite-text").is_visible(), "cards start collapsed"
    first.locator("summary").click()
    assert first.get_attribute("open") is not None
    body = first.locator(".cite-body")
    assert body.is_visible()
    assert "发文单位" in body.inner_text() and "层级" in body.inner_text() and "章节" in body.inner_text()
    quote = first.locator(".cite-text mark")
    assert quote.is_visible()
    assert "不超过" in quote.inner_text()
    shot(page, "chat-answer-citations")

    # 👍 on this answer lands in SQLite with the question, the answer and its citations.
    store = FeedbackStore(settings.feedback_path)
    before = store.count("up")
    page.locator("#chat button[aria-label='赞'], #chat button[aria-label='Like']").last.click()
    deadline = time.monotonic() + 15
    while store.count("up") == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert store.count("up") == before + 1
    row = store.list(limit=1)[0]
    assert row["question"] == QUESTION
    assert row["vote"] == "up"
    assert "[1]" in row["answer"]
    assert json.loads(row["citations"])[0]["number"] == 1
    assert row["created_at"]

    # A second vote on the same answer in this session is thanked but not stored.
    total = store.count()
    page.locator("#chat button[aria-label='踩'], #chat button[aria-label='Dislike']").last.click()
    page.get_by_text("已经评价过").first.wait_for()
    assert store.count() == total

    # A citation opens in the document viewer at its section.
    page.click("#open-cite")
    viewer = page.locator("#viewer")
    viewer.locator("mark.doc-cited").wait_for()
    assert page.locator("#lookup-tab-button").get_attribute("aria-selected") == "true"
    assert viewer.locator("mark.doc-section").count() == 1
    page.wait_for_function("""() => {
        const box = document.querySelector('#viewer .doc-text');
        const mark = document.querySelector('#viewer mark.doc-cited');
        const b = box.getBoundingClientRect(), m = mark.getBoundingClientRect();
        return m.top >= b.top - 1 && m.top < b.bottom;
    }""")
    shot(page, "chat-citation-opened-in-viewer")


@pytest.mark.browser
def test_follow_up_uses_the_conversation_and_new_chat_forgets_it(page):
    ask(page, QUESTION)
    ask(page, "那四年级呢？")
    follow_up = last_answer(page)
    assert "四年级" in follow_up.locator(".rewritten").inner_text()
    assert follow_up.locator("details.cite").count() >= 1

    page.click("#new-chat")
    page.wait_for_function("() => document.querySelectorAll('#chat .answer').length === 0")
    ask(page, "那四年级呢？")
    assert last_answer(page).locator(".rewritten").count() == 0


@pytest.mark.browser
def test_an_enumeration_shows_one_source_card_per_item(page):
    ask(page, "吉林省推动“双减”的“四个结合”是什么？")
    answer = last_answer(page)
    text = answer.locator(".answer-text").inner_text()
    for item in ("一是宣教结合", "二是疏堵结合", "三是放改结合", "四是监管结合"):
        assert item in text
    cards = answer.locator("details.cite")
    assert cards.count() == 4
    cards.nth(3).locator("summary").click()
    assert "四是监管结合" in cards.nth(3).locator(".cite-text mark").inner_text()
    shot(page, "chat-enumeration")


@pytest.mark.browser
def test_script_in_question_is_shown_as_text_not_run(page):
    ask(page, XSS)
    bubble = page.locator("#chat .user-q").last
    assert bubble.inner_text().strip() == XSS
    assert page.evaluate("window.__xss") is None
    assert page.locator("#chat script").count() == 0

    ask(page, '<img src=x onerror="window.__xss=2"><b>加粗</b>')
    assert page.evaluate("window.__xss") is None
    assert page.locator("#chat img").count() == 0
    assert "<b>加粗</b>" in page.locator("#chat .user-q").last.inner_text()
    shot(page, "chat-script-as-text")


@pytest.mark.browser
def test_empty_long_and_double_submit(page):
    page.click("#send")
    page.get_by_text("请先输入您的问题").first.wait_for()
    assert page.locator("#chat .user-q").count() == 0

    page.fill("#question textarea", "三年级作业" * 1500)
    page.click("#send")
    page.wait_for_function("() => document.querySelector('#chat .answer .answer-text')")
    page.wait_for_function("() => !document.querySelector('#chat .caret')")
    assert "已省略" in page.locator("#chat .user-q").last.inner_text()
    assert "问题太长" in last_answer(page).inner_text()

    page.click("#new-chat")
    page.wait_for_function("() => !document.querySelector('#chat .user-q')")
    page.fill("#question textarea", "课后服务一般几点结束？")
    page.dblclick("#send")
    page.wait_for_function("() => document.querySelector('#chat .answer details.cite')")
    time.sleep(1.5)  # a second, wrongly accepted submit would have shown up by now
    assert page.locator("#chat .user-q").count() == 1
    assert page.locator("#chat .answer").count() == 1


@pytest.mark.browser
def test_teacher_search_with_grade_filter(page, app, assistant):
    page.click("#lookup-tab-button")
    page.fill("#kw textarea", "作业 时间")
    page.locator("#grades").get_by_label("三年级").check()
    page.click("#search")
    page.locator("#hits .hit").first.wait_for()

    hits = page.locator("#hits .hit")
    assert hits.count() >= 3
    assert page.locator("#hits .hit mark").count() >= hits.count()
    for text in page.locator("#hits mark").all_inner_texts()[:20]:
        assert text in ("作业", "时间", "作业时间"), text
    for section in page.locator("#hits .hit-section").all_inner_texts():
        if "适用" in section:
            assert "三" in section.split("适用", 1)[1], section

    # The grade filter really filters: no hit is about grades 1–2 only.
    expected = assistant.search("作业 时间", grades={3})
    assert hits.count() == len(expected)
    assert all(not h.chunk.grades or 3 in h.chunk.grades for h in expected)

    page.click("#open-hit")
    page.locator("#viewer mark.doc-section").wait_for()
    assert expected[0].chunk.title in page.locator("#viewer .doc-head").inner_text()
    shot(page, "teacher-search")


@pytest.mark.browser
def test_status_tab_lists_indexed_documents(page, app, assistant):
    _, web = app
    page.click("#status-tab-button")
    table = page.locator("#doc-table")
    first = web.sorted_documents()[0]
    table.get_by_text(first.title, exact=True).first.wait_for()
    assert table.get_by_text(first.id, exact=True).count() == 1
    summary = page.locator("#status-summary").inner_text()
    assert f"{len(assistant.documents())} 份" in summary
    assert "索引版本" in summary

    # The admin button refuses a wrong token, then refreshes the index in the background and reports.
    page.fill("#admin-token input", "wrong")
    page.click("#rebuild")
    page.get_by_text("管理口令不正确").first.wait_for()
    assert not web.job.state().running and "上次建立/更新" not in page.locator("#status-summary").inner_text()
    page.fill("#admin-token input", ADMIN_TOKEN)
    page.click("#rebuild")
    page.locator("#status-summary").get_by_text("上次建立/更新").wait_for()
    page.locator("#status-banner .banner.ok").wait_for()
    assert "未变" in page.locator("#status-summary").inner_text()
    shot(page, "status")


# ---------------------------------------------------------------------------- handlers without a browser


def drain(gen) -> list:
    return list(gen)


def test_chat_is_polite_while_the_index_is_being_built(settings, assistant):
    web = WebApp(assistant, settings)  # its index job has not run: the app is still "building"
    outputs = drain(web.respond(QUESTION, [], [], {}))
    chat = outputs[-1][1]
    assert "正在建立索引" in chat[-1]["content"]
    assert outputs[-1][2] == [], "a question that was not answered is not conversation history"


def test_questions_are_answered_from_the_old_index_during_a_rebuild(tmp_path, assistant, monkeypatch):
    home = tmp_path / "home"
    (home / "corpus").mkdir(parents=True)
    manifest = (ROOT / "corpus" / "manifest.toml").read_text(encoding="utf-8")
    keep = [block for block in manifest.split("[[documents]]")[1:] if '"001_84cda09009ea5ed3.txt"' in block]
    (home / "corpus" / "manifest.toml").write_text(
        "".join("[[documents]]" + b for b in keep), encoding="utf-8"
    )
    shutil.copy(ROOT / "corpus" / "001_84cda09009ea5ed3.txt", home / "corpus")
    settings = Settings(home=home)
    bot = Assistant(settings, embedder=assistant.embedder)
    web = WebApp(bot, settings)
    web.job.start_initial()
    assert web.job.wait(timeout=300).ready
    generation = bot.status()["generation"]

    # Hold the rebuild after its first document until the question has been answered.
    answered = threading.Event()
    original = web.job._progress

    def held(done, total, doc_id):
        original(done, total, doc_id)
        answered.wait(timeout=120)

    monkeypatch.setattr(web.job, "_progress", held)
    assert web.job.start_refresh(rebuild=True)
    deadline = time.monotonic() + 60
    while web.job.state().documents == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert web.job.state().running
    assert not web.job.start_refresh(), "one index job at a time"

    chat = drain(web.respond("课后服务结束时间是几点？", [], [], {}))[-1][1]
    answered.set()
    assert "details" in chat[-1]["content"], chat[-1]["content"]
    assert "正在建立索引" not in chat[-1]["content"]

    state = web.job.wait(timeout=300)
    assert state.ready and not state.running and not state.error
    assert bot.status()["generation"] != generation
    chat = drain(web.respond("课后服务结束时间是几点？", [], [], {}))[-1][1]
    assert "details" in chat[-1]["content"]
