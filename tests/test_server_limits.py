"""Abuse limits and refusals over real HTTP (uvicorn on loopback, the session's index): each is a clear JSON
error with a Chinese message — 400, 401, 403, 404, 413, 429 — never a traceback."""

from __future__ import annotations

import httpx
import pytest
from server_helpers import GRADE3, TOKEN, server_thread

from assistant import Settings
from assistant.server import create_app
from assistant.server.api import trim_history
from assistant.server.limits import TokenBucket


def tight_settings(session_home, tmp_path, **app) -> Settings:
    # The feedback file goes to a private folder: the session's index folder is shared by other tests.
    return Settings(home=session_home, app={"feedback_db": tmp_path / "fb.sqlite3", **app})


@pytest.fixture(scope="module")
def limited(session_home, assistant, tmp_path_factory):
    settings = tight_settings(
        session_home,
        tmp_path_factory.mktemp("limits"),
        admin_token=TOKEN,
        rate_limit_per_minute=6,
        max_body_kb=64,
        max_upload_mb=0.05,
    )
    with server_thread(create_app(settings, bot=assistant)) as url:
        yield url


@pytest.fixture(scope="module")
def no_token(session_home, assistant, tmp_path_factory):
    settings = tight_settings(session_home, tmp_path_factory.mktemp("no-token"), rate_limit_per_minute=0)
    with server_thread(create_app(settings, bot=assistant)) as url:
        yield url


def error_of(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text
    error = response.json()["error"]
    assert error["message"] and error["code"] and error["type"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), "the message is in Chinese"
    return error


def test_bad_requests_are_400(no_token):
    ask = f"{no_token}/api/ask"
    assert (
        "JSON"
        in error_of(httpx.post(ask, content=b"{not json", headers={"content-type": "application/json"}), 400)[
            "message"
        ]
    )
    assert "question" in error_of(httpx.post(ask, json={}), 400)["message"]
    assert "请先输入" in error_of(httpx.post(ask, json={"question": "   "}), 400)["message"]
    assert "太长" in error_of(httpx.post(ask, json={"question": "作业" * 2001}), 400)["message"]
    assert "history" in error_of(httpx.post(ask, json={"question": GRADE3, "history": "x"}), 400)["message"]
    chat = f"{no_token}/v1/chat/completions"
    error_of(httpx.post(chat, json={"messages": []}), 400)
    last = httpx.post(
        chat, json={"messages": [{"role": "user", "content": GRADE3}, {"role": "assistant", "content": "x"}]}
    )
    assert "user" in error_of(last, 400)["message"]
    assert error_of(httpx.get(f"{no_token}/api/nothing-here"), 404)["code"] == "not_found"


def test_long_history_is_capped_not_refused(no_token):
    history = [f"第{i}个问题：三年级作业多久？" for i in range(500)]
    response = httpx.post(f"{no_token}/api/ask", json={"question": GRADE3, "history": history}, timeout=60)
    assert response.status_code == 200 and response.json()["citations"]


def test_trim_history_keeps_the_newest_within_both_caps():
    settings = Settings(app={"max_history_turns": 3, "max_history_chars": 10})
    assert trim_history(["a", "", "b", "c", "d"], settings) == ["b", "c", "d"]
    assert trim_history(["一二三四五六", "七八九十一二"], settings) == ["三四五六", "七八九十一二"]
    assert trim_history(["x" * 50], settings) == ["x" * 10]


def test_body_too_large_is_413_with_or_without_a_length(limited):
    big = {"question": GRADE3, "history": ["作业" * 20000]}
    error = error_of(
        httpx.post(f"{limited}/api/ask", json=big, headers={"Authorization": f"Bearer {TOKEN}"}), 413
    )
    assert "64 KB" in error["message"]

    def chunks():  # chunked transfer: no Content-Length to check up front
        yield b'{"question": "' + "作业".encode() * 30000 + b'"}'

    streamed = httpx.post(
        f"{limited}/api/ask",
        content=chunks(),
        headers={"content-type": "application/json", "Authorization": f"Bearer {TOKEN}"},
    )
    error_of(streamed, 413)


def test_upload_over_the_size_limit_is_413_and_nothing_is_written(limited, session_home):
    before = sorted(p.name for p in (session_home / "corpus").iterdir())
    data = ("学校规定" * 20000).encode("utf-8")  # 240 KB > 0.05 MB
    response = httpx.post(
        f"{limited}/api/documents",
        files={"file": ("big.txt", data)},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert "MB" in error_of(response, 413)["message"]
    assert sorted(p.name for p in (session_home / "corpus").iterdir()) == before


def test_rate_limit_is_429_per_client_and_admins_are_exempt(limited):
    statuses = [httpx.get(f"{limited}/api/sources").status_code for _ in range(10)]
    assert statuses.count(429) >= 3 and statuses[0] == 200
    refused = httpx.get(f"{limited}/api/sources")
    error = error_of(refused, 429)
    assert "频繁" in error["message"] and int(refused.headers["retry-after"]) >= 1
    assert httpx.get(f"{limited}/healthz").status_code == 200, "health checks are never limited"
    admin = httpx.get(f"{limited}/api/sources", headers={"Authorization": f"Bearer {TOKEN}"})
    assert admin.status_code == 200


def test_token_bucket_refills_over_time():
    bucket = TokenBucket(per_minute=2)
    assert bucket.take("a", now=0) == 0 and bucket.take("a", now=0) == 0
    wait = bucket.take("a", now=0)
    assert 29 <= wait <= 31, "one request per 30 s once the burst is used"
    assert bucket.take("b", now=0) == 0, "clients have their own buckets"
    assert bucket.take("a", now=31) == 0


def test_without_a_configured_token_the_admin_api_and_page_say_how_to_enable_it(no_token):
    upload = httpx.post(f"{no_token}/api/documents", files={"file": ("a.txt", "学校规定".encode())})
    assert "ASSISTANT_APP_ADMIN_TOKEN" in error_of(upload, 401)["message"]
    guessed = httpx.delete(f"{no_token}/api/documents/x", headers={"Authorization": "Bearer guess"})
    assert "ASSISTANT_APP_ADMIN_TOKEN" in error_of(guessed, 403)["message"]
    page = httpx.get(f"{no_token}/admin")
    assert page.status_code == 200 and "管理功能未开启" in page.text
    assert "ASSISTANT_APP_ADMIN_TOKEN" in page.text and 'id="panel"' not in page.text
