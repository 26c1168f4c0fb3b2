"""The admin page in a real browser: `python app.py` with a token, headless Chromium via Playwright.

An admin uploads a new GB18030 notice, sees it indexed, a parent asks the chat about it and gets an answer citing
it; the parent's 👎 shows in the feedback view and exports as an eval row; the admin removes the notice and the
answer is gone. Without the token the page refuses.
"""

from __future__ import annotations

import httpx
import pytest
from server_helpers import (
    CHROMIUM_ARGS,
    TOKEN,
    WAIT_MS,
    ask_in_chat,
    find_chromium,
    gb18030_notice,
    last_answer,
    private_home,
    server_process,
    shot,
)

from evals.run import load_dataset

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCHOOL = "青松湾实验小学"
MINUTES = 37
QUESTION = f"{SCHOOL}午间静息时间不少于多少分钟？"


@pytest.fixture(scope="module")
def server(browser, session_home, assistant, tmp_path_factory):
    home = private_home(session_home, tmp_path_factory.mktemp("admin-home"))
    with server_process(
        home, home / "server.log", ASSISTANT_APP_ADMIN_TOKEN=TOKEN, ASSISTANT_APP_RATE_LIMIT_PER_MINUTE="0"
    ) as url:
        yield url, home


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    path = find_chromium()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000}, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def open_admin(context, url: str, token: str | None):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/admin")
    if token is not None:
        page.fill("#token", token)
        page.click("#login-btn")
    return page, errors


def row(page, doc_id: str):
    return page.locator(f'#docs tbody tr[data-id="{doc_id}"]')


def test_without_the_token_the_page_refuses(server, context):
    url, _ = server
    page, errors = open_admin(context, url, None)
    assert page.locator("#panel").is_hidden()
    page.fill("#token", "wrong-token")
    page.click("#login-btn")
    page.locator("#login-msg", has_text="无法进入管理").wait_for()
    assert "管理令牌不正确" in page.inner_text("#login-msg")
    assert page.locator("#panel").is_hidden()
    assert page.locator("#docs tbody tr").count() == 0, "nothing was listed"
    shot(page, "admin-refused")
    assert not errors


def test_upload_ask_vote_export_and_remove(server, context, tmp_path):
    url, home = server
    admin, errors = open_admin(context, url, TOKEN)
    admin.locator("#docs tbody tr").first.wait_for()
    documents_before = admin.locator("#docs tbody tr").count()
    generation = httpx.get(f"{url}/healthz").json()["generation"]

    # Upload: a GB18030 notice with a title given in the form.
    notice = gb18030_notice(tmp_path, "午间静息通知.txt", SCHOOL, MINUTES)
    admin.set_input_files("#file", str(notice))
    admin.fill("#up-title", f"{SCHOOL}午间静息管理通知")
    admin.select_option("#up-level", "school")
    admin.click("#upload-btn")
    admin.locator("#upload-msg", has_text="已收到").wait_for()
    admin.wait_for_function(
        "g => document.querySelector('#job').dataset.generation && "
        "document.querySelector('#job').dataset.generation !== g && document.querySelector('#job').dataset.running === '0'",
        arg=generation,
    )
    new_row = admin.locator("#docs tbody tr", has_text=f"{SCHOOL}午间静息管理通知")
    new_row.wait_for()
    doc_id = new_row.get_attribute("data-id")
    assert admin.locator("#docs tbody tr").count() == documents_before + 1
    assert "学校" in new_row.inner_text()
    assert (home / "corpus" / "午间静息通知.txt").read_bytes() == notice.read_bytes(), "stored byte for byte"
    shot(admin, "admin-uploaded")

    # Edit its metadata: written to the manifest, re-indexed, shown in the list.
    generation = admin.get_attribute("#job", "data-generation")
    new_row.locator("button.edit").click()
    admin.fill("#ed-region", "江西省")
    admin.fill("#ed-year", "2025")
    admin.click("#edit-save")
    admin.locator("#docs-msg", has_text="已更新").wait_for()
    admin.wait_for_function(
        "g => document.querySelector('#job').dataset.generation !== g && "
        "document.querySelector('#job').dataset.running === '0'",
        arg=generation,
    )
    row(admin, doc_id).filter(has_text="江西省").wait_for()
    assert "2025" in row(admin, doc_id).inner_text()
    manifest = (home / "corpus" / "manifest.toml").read_text(encoding="utf-8")
    assert f'id = "{doc_id}"' in manifest and 'region = "江西省"' in manifest

    # A parent asks in the chat and gets an answer that cites the new notice.
    chat = context.new_page()
    chat.goto(url)
    chat.wait_for_selector("#status-banner .banner.ok")
    ask_in_chat(chat, QUESTION)
    answer = last_answer(chat)
    assert f"{MINUTES}分钟" in answer.locator(".answer-text").inner_text()
    assert SCHOOL in answer.locator("details.cite").first.locator("summary").inner_text()
    shot(chat, "admin-new-document-answered")

    # The parent's 👎 shows up in the feedback view and exports as an eval row.
    chat.locator("#chat button[aria-label='踩'], #chat button[aria-label='Dislike']").last.click()
    admin.click("#fb-load")
    vote = admin.locator("#fb-list .fb", has_text=QUESTION)
    vote.wait_for()
    assert f"{MINUTES}分钟" in vote.inner_text() and SCHOOL in vote.inner_text()
    with admin.expect_download() as download:
        admin.click("#fb-export")
    exported = tmp_path / "feedback.jsonl"
    download.value.save_as(exported)
    rows = [r for r in load_dataset(exported) if r["question"] == QUESTION]
    assert len(rows) == 1 and rows[0]["kind"] == "feedback" and rows[0]["answers"] == []
    assert any(s["doc_id"] == doc_id for s in rows[0]["given_sources"])
    shot(admin, "admin-feedback")

    # Remove it: the file is gone, the index follows, and the chat no longer answers from it.
    generation = httpx.get(f"{url}/healthz").json()["generation"]
    admin.once("dialog", lambda dialog: dialog.accept())
    row(admin, doc_id).locator("button.remove").click()
    admin.locator("#docs-msg", has_text="已删除").wait_for()
    admin.wait_for_function(
        "g => document.querySelector('#job').dataset.generation !== g && "
        "document.querySelector('#job').dataset.running === '0'",
        arg=generation,
    )
    row(admin, doc_id).wait_for(state="detached")
    assert not (home / "corpus" / "午间静息通知.txt").exists()
    ask_in_chat(chat, QUESTION)
    gone = last_answer(chat)
    assert f"{MINUTES}分钟" not in gone.locator(".answer-text").inner_text()
    assert SCHOOL not in " ".join(gone.locator("details.cite summary").all_inner_texts())
    shot(chat, "admin-removed-document-not-answered")
    assert not errors
