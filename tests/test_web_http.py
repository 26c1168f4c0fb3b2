"""The running web app's HTTP routes under abuse: uploads, a forged chat history, the rebuild endpoint."""

from __future__ import annotations

import json
import socket
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from assistant.web import create_app, launch_options

QUESTION = "三年级每天的书面作业不超过多长时间？"
TOKEN = "http-测试口令"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(settings, assistant):
    """The real app, with an admin token configured, on a free loopback port."""
    app = settings.app.model_copy(update={"admin_token": SecretStr(TOKEN)})
    demo, web = create_app(assistant, settings.model_copy(update={"app": app}))
    assert web.job.wait(timeout=120).ready, web.job.state()
    options = launch_options(settings, "127.0.0.1", free_port())
    demo.launch(prevent_thread_lock=True, quiet=True, **options)
    yield f"http://127.0.0.1:{options['server_port']}", web
    demo.close()


def call(url: str, api: str, data: list, timeout: float = 120) -> tuple[list, int]:
    """One call through gradio's REST route: (final output data, bytes streamed back)."""
    with httpx.Client(timeout=timeout) as client:
        started = client.post(f"{url}/gradio_api/call/{api}", json={"data": data})
        started.raise_for_status()
        event_id = started.json()["event_id"]
        received, event, final = 0, "", None
        with client.stream("GET", f"{url}/gradio_api/call/{api}/{event_id}") as response:
            for line in response.iter_lines():
                received += len(line) + 1
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    final = (event, line.split(":", 1)[1].strip())
    assert final is not None and final[0] == "complete", final
    return json.loads(final[1]), received


def test_upload_route_refuses_a_large_upload(served):
    url, _ = served
    temp = Path(tempfile.gettempdir())
    before = {p.name for p in temp.rglob("big-upload.bin")}
    body = b"x" * (5 * 1024 * 1024)
    response = httpx.post(
        f"{url}/gradio_api/upload", files={"files": ("big-upload.bin", body, "application/octet-stream")}
    )
    assert response.status_code == 413, response.text
    assert "maximum allowed size" in response.text
    time.sleep(0.5)
    after = [p for p in temp.rglob("big-upload.bin") if p.name not in before and p.stat().st_size > 2048]
    assert not after, f"an upload refused by size still landed on disk: {after}"


def test_forged_huge_history_is_capped_not_streamed_back(served):
    url, _ = served
    forged = [
        {"role": "user", "content": [{"type": "text", "text": "问" * 3_000_000}]},
        {"role": "assistant", "content": [{"type": "text", "text": "答" * 3_000_000}]},
    ]
    sent = len(json.dumps(forged, ensure_ascii=False).encode())
    output, received = call(url, "ask", [QUESTION, forged])
    chat = output[1]
    assert len(chat) == 2, "the forged messages are dropped, the new question and its answer stay"
    answer = "".join(block["text"] for block in chat[-1]["content"])
    assert 'class="answer"' in answer and "<details" in answer
    assert received < sent / 20, f"{received} bytes streamed back for a {sent}-byte forged history"


def test_rebuild_endpoint_refuses_a_missing_or_wrong_token(served):
    url, web = served
    summary_before = web.job.state().message
    for token in ("", "wrong", None):
        call(url, "refresh_index", [True, token])
        state = web.job.state()
        assert not state.running and state.message == summary_before, token
    # The right token starts the job (an incremental refresh: nothing changed, nothing rebuilt).
    call(url, "refresh_index", [False, TOKEN])
    state = web.job.wait(timeout=300)
    assert state.ready and not state.error and "未变" in state.message
