"""The server as real clients use it: `python app.py` in its own process, the official openai package,
langchain_openai, gradio_client and plain HTTP against the JSON API."""

from __future__ import annotations

import httpx
import pytest
from server_helpers import GRADE3, JUNIOR_FOLLOW_UP, TOKEN, private_home, server_process

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(session_home, assistant, tmp_path_factory):
    """Its own home (a copy of the session corpus and index), an admin token, a relaxed rate limit."""
    home = private_home(session_home, tmp_path_factory.mktemp("clients-home"))
    with server_process(
        home, home / "server.log", ASSISTANT_APP_ADMIN_TOKEN=TOKEN, ASSISTANT_APP_RATE_LIMIT_PER_MINUTE="600"
    ) as url:
        yield url


@pytest.fixture(scope="module")
def client(server):
    import openai

    return openai.OpenAI(base_url=f"{server}/v1", api_key="x", max_retries=0, timeout=60)


def test_openai_sync_answers_with_numbered_quotes_and_structured_citations(client, assistant):
    completion = client.chat.completions.create(
        model="shuangjian-assistant", messages=[{"role": "user", "content": GRADE3}]
    )
    text = completion.choices[0].message.content
    expected = assistant.ask(GRADE3)
    assert text.startswith(expected.text), "the reply is the assistant's own answer"
    assert "[1]" in text and "出处：" in text
    assert completion.choices[0].finish_reason == "stop"
    citations = completion.model_extra["citations"]
    assert [c["doc_id"] for c in citations] == [c.doc_id for c in expected.citations]
    for c in citations:
        assert f"《{c['title']}》" in text and c["quote"] in text


def test_openai_streaming_and_a_follow_up_with_history(client):
    stream = client.chat.completions.create(
        model="shuangjian-assistant", messages=[{"role": "user", "content": GRADE3}], stream=True
    )
    pieces, extras = [], []
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        if chunk.model_extra.get("citations"):
            extras.append(chunk.model_extra["citations"])
    first = "".join(pieces)
    assert len(pieces) >= 3, "the reply arrives in several events"
    assert "三年级" in first and "[1]" in first and "出处：" in first
    assert len(extras) == 1 and extras[0][0]["n"] == 1, "citations ride along once, on the last event"

    stream = client.chat.completions.create(
        model="shuangjian-assistant",
        messages=[
            {"role": "user", "content": GRADE3},
            {"role": "assistant", "content": first},
            {"role": "user", "content": JUNIOR_FOLLOW_UP},
        ],
        stream=True,
    )
    follow = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert "初中" in follow and "90分钟" in follow
    assert "三年级" not in follow.split("\n", 1)[0]


def test_models_list(client):
    assert [m.id for m in client.models.list()] == ["shuangjian-assistant"]


def test_langchain_chat_openai(server):
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(
        model="shuangjian-assistant", base_url=f"{server}/v1", api_key="x", max_retries=0, timeout=60
    )
    reply = llm.invoke([HumanMessage(GRADE3)])
    assert "[1]" in reply.content and "出处：" in reply.content
    streamed = "".join(
        part.content
        for part in llm.stream(
            [HumanMessage(GRADE3), AIMessage(reply.content), HumanMessage(JUNIOR_FOLLOW_UP)]
        )
    )
    assert "90分钟" in streamed


def test_gradio_client_against_the_mounted_ui(server):
    from gradio_client import Client

    ui = Client(f"{server}/", verbose=False, analytics_enabled=False, download_files=False)
    try:
        outputs = ui.predict(GRADE3, [], api_name="/ask")
        assert ui.predict(api_name="/status")["ready"] is True
    finally:
        ui.close()
    last = outputs[1][-1]
    assert last["role"] == "assistant"
    assert 'class="answer"' in str(last["content"]) and "[1]" in str(last["content"])


def test_api_ask_is_the_cli_json_object(server, assistant):
    response = httpx.post(f"{server}/api/ask", json={"question": GRADE3}, timeout=60)
    assert response.status_code == 200
    body = response.json()
    expected = assistant.ask(GRADE3).to_json()
    assert set(body) == set(expected)
    assert body["answer"] == expected["answer"]
    assert body["citations"] == expected["citations"]

    follow = httpx.post(
        f"{server}/api/ask", json={"question": JUNIOR_FOLLOW_UP, "history": [GRADE3]}, timeout=60
    ).json()
    assert "90分钟" in follow["answer"] and follow["rewritten_question"]


def test_scope_limits_the_answer_to_chosen_documents(server, assistant):
    cited = assistant.ask(GRADE3).citations
    other = cited[-1].doc_id
    body = httpx.post(
        f"{server}/api/ask", json={"question": GRADE3, "scope": {"doc_ids": [other]}}, timeout=60
    ).json()
    assert body["citations"] and {c["doc_id"] for c in body["citations"]} == {other}
    refused = httpx.post(
        f"{server}/api/ask", json={"question": GRADE3, "scope": {"doc_ids": ["no-such-doc"]}}, timeout=60
    )
    assert refused.status_code == 400 and "no-such-doc" in refused.json()["error"]["message"]


def test_sources_document_text_and_health(server, assistant):
    health = httpx.get(f"{server}/healthz").json()
    assert health["ready"] and health["documents"] == len(assistant.documents())
    sources = httpx.get(f"{server}/api/sources").json()
    assert {d["id"] for d in sources["documents"]} == {d.id for d in assistant.documents()}
    doc_id = assistant.ask(GRADE3).citations[0].doc_id
    doc = httpx.get(f"{server}/api/documents/{doc_id}").json()
    assert doc["sections"] and doc["text"] == assistant.document(doc_id).text
    for chunk in assistant.chunks_of(doc_id):
        assert doc["text"][chunk.start : chunk.end] == chunk.text, "offsets point into the returned text"
    assert all(0 <= s["start"] < s["end"] <= len(doc["text"]) for s in doc["sections"])
    missing = httpx.get(f"{server}/api/documents/nope")
    assert missing.status_code == 404 and missing.json()["error"]["message"]


def test_openapi_page(server):
    spec = httpx.get(f"{server}/openapi.json").json()
    for path in ("/api/ask", "/api/sources", "/api/feedback", "/v1/chat/completions", "/healthz"):
        assert path in spec["paths"]
    assert httpx.get(f"{server}/docs").status_code == 200


def test_admin_api_refuses_without_the_token(server):
    upload = httpx.post(f"{server}/api/documents", files={"file": ("a.txt", "内容".encode())})
    assert upload.status_code == 401
    assert upload.json()["error"]["code"] == "admin_token_required"
    wrong = httpx.delete(f"{server}/api/documents/x", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert httpx.get(f"{server}/api/feedback", params={"vote": "down"}).status_code == 401


def test_votes_one_per_session_and_listed_for_the_admin(server):
    vote = {
        "question": "课后服务几点结束？",
        "answer": "不晚于18:00[1]",
        "vote": "down",
        "session_id": "tab-1",
    }
    ids = {httpx.post(f"{server}/api/feedback", json=vote).json()["id"] for _ in range(5)}
    assert len(ids) == 1
    httpx.post(f"{server}/api/feedback", json={**vote, "vote": "up"})
    admin = {"Authorization": f"Bearer {TOKEN}"}
    rows = httpx.get(f"{server}/api/feedback", headers=admin).json()
    mine = [r for r in rows if r["question"] == vote["question"]]
    assert len(mine) == 1 and mine[0]["vote"] == "up", "the later vote replaced the earlier one"
    bad = httpx.post(f"{server}/api/feedback", json={**vote, "vote": "maybe"})
    assert bad.status_code == 400 and "vote" in bad.json()["error"]["message"]


# ---------------------------------------------------------------------------- admin API (changes the private corpus)


def test_admin_upload_edit_and_remove_through_the_api(server, tmp_path):
    from server_helpers import gb18030_notice, wait_for_generation_change

    admin = {"Authorization": f"Bearer {TOKEN}"}
    home_corpus = {d["source"] for d in httpx.get(f"{server}/api/sources").json()["documents"]}
    notice = gb18030_notice(tmp_path, "n.txt", "白鹭洲小学", 43)
    generation = httpx.get(f"{server}/healthz").json()["generation"]
    # A name with folders and shell characters is reduced to a plain file name inside the corpus folder.
    response = httpx.post(
        f"{server}/api/documents",
        files={"file": ("../../白鹭洲 通知;rm.txt", notice.read_bytes())},
        data={"issuer": "白鹭洲小学", "level": "school", "year": "2025"},
        headers=admin,
    )
    assert response.status_code == 202, response.text
    doc_id = response.json()["doc_id"]
    wait_for_generation_change(server, generation)
    doc = next(d for d in httpx.get(f"{server}/api/sources").json()["documents"] if d["id"] == doc_id)
    assert doc["source"] == "白鹭洲_通知_rm.txt" and doc["source"] not in home_corpus
    assert (doc["issuer"], doc["level"], doc["year"]) == ("白鹭洲小学", "school", 2025)
    answer = httpx.post(f"{server}/api/ask", json={"question": "白鹭洲小学午间静息时间不少于多久？"}).json()
    assert "43分钟" in answer["answer"] and answer["citations"][0]["doc_id"] == doc_id

    again = httpx.post(
        f"{server}/api/documents", files={"file": ("白鹭洲 通知;rm.txt", b"x" * 20)}, headers=admin
    )
    assert again.status_code == 409 and "同名" in again.json()["error"]["message"]
    for name, data, words in (
        ("evil.exe", b"MZ\x00\x00", "只能上传"),
        ("bin.txt", bytes(range(256)) * 40, "二进制"),
        ("empty.pdf", b"", "空"),
    ):
        refused = httpx.post(f"{server}/api/documents", files={"file": (name, data)}, headers=admin)
        assert refused.status_code == 400 and words in refused.json()["error"]["message"], refused.text

    generation = httpx.get(f"{server}/healthz").json()["generation"]
    edited = httpx.patch(
        f"{server}/api/documents/{doc_id}",
        json={"title": "白鹭洲小学静息通知", "region": "江西省"},
        headers=admin,
    )
    assert edited.status_code == 200, edited.text
    wait_for_generation_change(server, generation)
    doc = httpx.get(f"{server}/api/documents/{doc_id}").json()
    assert (doc["title"], doc["region"], doc["issuer"]) == ("白鹭洲小学静息通知", "江西省", "白鹭洲小学")
    bad = httpx.patch(f"{server}/api/documents/{doc_id}", json={"level": "galaxy"}, headers=admin)
    assert bad.status_code == 400

    generation = httpx.get(f"{server}/healthz").json()["generation"]
    removed = httpx.delete(f"{server}/api/documents/{doc_id}", headers=admin)
    assert removed.status_code == 200 and "已删除" in removed.json()["message"]
    wait_for_generation_change(server, generation)
    assert httpx.get(f"{server}/api/documents/{doc_id}").status_code == 404
    after = httpx.post(f"{server}/api/ask", json={"question": "白鹭洲小学午间静息时间不少于多久？"}).json()
    assert "43分钟" not in after["answer"]
    assert {d["source"] for d in httpx.get(f"{server}/api/sources").json()["documents"]} == home_corpus


def test_removing_one_part_of_a_compilation_keeps_the_other_parts(server, assistant):
    admin = {"Authorization": f"Bearer {TOKEN}"}
    docs = assistant.documents()
    shared = next(d for d in docs if sum(o.source == d.source for o in docs) > 1)
    siblings = {o.id for o in docs if o.source == shared.source and o.id != shared.id}
    generation = httpx.get(f"{server}/healthz").json()["generation"]
    response = httpx.delete(f"{server}/api/documents/{shared.id}", headers=admin)
    assert response.status_code == 200 and "跳过" in response.json()["message"]
    from server_helpers import wait_for_generation_change

    wait_for_generation_change(server, generation)
    ids = {d["id"] for d in httpx.get(f"{server}/api/sources").json()["documents"]}
    assert shared.id not in ids and siblings <= ids
