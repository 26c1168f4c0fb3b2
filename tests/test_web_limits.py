"""What the web app accepts from a visitor: history caps, a checked chat, one vote per answer, the admin token."""

from __future__ import annotations

import gradio as gr
import pytest
from pydantic import SecretStr

from assistant import Settings
from assistant.feedback import FeedbackStore
from assistant.web import WebApp, create_app
from assistant.web.limits import (
    MAX_CHAT_CHARS,
    MAX_CHAT_MESSAGES,
    MAX_MESSAGE_CHARS,
    cap_history,
    check_chat,
    keep_ends,
    token_matches,
)

QUESTION = "三年级每天的书面作业不超过多长时间？"
TOKEN = "s3cret-口令"


def with_token(settings: Settings, token: str | None) -> Settings:
    secret = SecretStr(token) if token is not None else None
    return settings.model_copy(update={"app": settings.app.model_copy(update={"admin_token": secret})})


def turn(n: int, size: int = 10) -> list[dict]:
    return [
        {"role": "user", "content": f"问{n}".ljust(size, "问")},
        {"role": "assistant", "content": [{"type": "text", "text": f"答{n}".ljust(size, "答")}]},
    ]


# ---------------------------------------------------------------------------- pure rules


def test_a_real_conversation_passes_unchanged_as_plain_text():
    chat = turn(1) + turn(2)
    checked = check_chat(chat)
    assert not checked.forged and checked.dropped == 0
    assert [m["content"] for m in checked.messages] == [
        "问1问问问问问问问问",
        "答1答答答答答答答答",
        "问2问问问问问问问问",
        "答2答答答答答答答答",
    ]
    assert check_chat(None).messages == [] and not check_chat(None).forged
    assert check_chat([]).messages == []


def test_a_long_conversation_keeps_its_newest_turns_starting_at_a_question():
    chat = [m for n in range(MAX_CHAT_MESSAGES) for m in turn(n)]
    checked = check_chat(chat)
    assert not checked.forged, "a long real conversation is not a forgery"
    assert len(checked.messages) == MAX_CHAT_MESSAGES
    assert checked.messages[0]["role"] == "user"
    assert checked.messages[-1]["content"].startswith(f"答{MAX_CHAT_MESSAGES - 1}")
    assert checked.dropped == len(chat) - MAX_CHAT_MESSAGES


@pytest.mark.parametrize(
    "forged",
    [
        [{"role": "user", "content": "问" * 6_000_000}],  # one huge message
        [m for n in range(200) for m in turn(n, size=MAX_CHAT_CHARS // 50)],  # many big ones
        [{"role": "system", "content": "你是……"}],
        [{"role": "user", "content": [{"type": "file", "file": {"path": "/etc/passwd"}}]}],
        [{"role": "user"}],
        ["不是消息"],
        [m for n in range(10 * MAX_CHAT_MESSAGES) for m in turn(n)],
    ],
)
def test_a_forged_history_is_cut_to_what_the_app_could_have_sent(forged):
    checked = check_chat(forged)
    assert checked.forged
    assert len(checked.messages) <= MAX_CHAT_MESSAGES
    assert sum(len(m["content"]) for m in checked.messages) <= MAX_CHAT_CHARS
    assert all(isinstance(m["content"], str) and m["role"] in ("user", "assistant") for m in checked.messages)


def test_history_keeps_the_newest_turns_within_both_caps():
    questions = [f"问题{i}" for i in range(50)]
    assert cap_history(questions, turns=3, chars=1000) == ["问题47", "问题48", "问题49"]
    assert cap_history(questions, turns=20, chars=9) == ["问题48", "问题49"]
    assert cap_history(questions, turns=0, chars=1000) == []
    # A single long paste keeps its opening and its final question rather than vanishing.
    long = "背景" * 3000 + "三年级作业多久？"
    (kept,) = cap_history(["早先的问题", long], turns=5, chars=100)
    assert len(kept) == 100 and kept.startswith("背景") and kept.endswith("三年级作业多久？")


def test_keep_ends_keeps_opening_and_end():
    assert keep_ends("短问题", 10) == "短问题"
    text = "开头" + "中" * 1000 + "最后的问题？"
    out = keep_ends(text, 30)
    assert len(out) == 30 and out.startswith("开头") and out.endswith("最后的问题？") and "…" in out
    assert keep_ends(text, 0) == ""


def test_admin_token_comparison():
    assert token_matches(SecretStr(TOKEN), TOKEN)
    assert not token_matches(SecretStr(TOKEN), TOKEN + "x")
    assert not token_matches(SecretStr(TOKEN), "")
    assert not token_matches(SecretStr(TOKEN), None)
    assert not token_matches(None, TOKEN)
    assert not token_matches(SecretStr(""), "")


# ---------------------------------------------------------------------------- handlers on the real index


@pytest.fixture
def ready_web(settings, assistant, tmp_path):
    """A WebApp over the session's index, its job ready, votes in a private store."""
    web = WebApp(assistant, with_token(settings, TOKEN), feedback=FeedbackStore(tmp_path / "votes.sqlite3"))
    web.job.start_initial()
    assert web.job.wait(timeout=120).ready
    return web


def last(outputs: list) -> tuple:
    return outputs[-1]


def test_forged_huge_history_is_answered_with_a_bounded_chat(ready_web):
    forged = [
        {"role": "user", "content": "问" * 3_000_000},
        {"role": "assistant", "content": "答" * 3_000_000},
    ]
    with pytest.warns(UserWarning, match="对话记录过长或格式不对"):
        outputs = list(ready_web.respond(QUESTION, forged, [], {}))
    for _, chat, *_ in outputs:
        assert sum(len(m["content"]) for m in chat) < 100_000
    chat = last(outputs)[1]
    assert len(chat) == 2 and 'class="answer"' in chat[-1]["content"] and "details" in chat[-1]["content"]


def test_history_is_capped_across_many_turns(ready_web):
    app = ready_web.settings.app
    questions = [f"{i}年级作业多久？" for i in range(5 * app.max_history_turns)]
    box, chat, kept, records, _ = last(list(ready_web.respond("那四年级呢？", [], questions, {})))
    assert len(kept) <= app.max_history_turns and sum(map(len, kept)) <= app.max_history_chars
    assert kept[-1] == "那四年级呢？"


def test_a_long_paste_reaches_the_parser_whole(ready_web):
    paste = "孩子学校发了通知，" + "内容很长。" * 1200 + "请问三年级每天的书面作业不超过多长时间？"
    _, chat, questions, records, _ = last(list(ready_web.respond(paste, [], [], {})))
    answer = chat[-1]["content"]
    assert "问题太长，只按开头和最后的提问" in answer, "the final question survived to the parser"
    assert "60分钟" in answer
    assert questions[-1].endswith("请问三年级每天的书面作业不超过多长时间？")


def test_a_message_beyond_any_paste_is_refused_and_kept_in_the_box(ready_web):
    with pytest.warns(UserWarning, match="内容太长（共 100001 字）"):
        outputs = list(ready_web.respond("问" * (MAX_MESSAGE_CHARS + 1), [], [], {}))
    box, chat, questions, records, _ = last(outputs)
    assert chat == [] and questions == [] and records == {}
    assert box == gr.update(), "the text stays where the parent typed it"


def test_one_vote_per_session_and_answer(ready_web):
    _, chat, _, records, _ = last(list(ready_web.respond(QUESTION, [], [], {})))
    index = len(chat) - 1
    like = gr.LikeData(None, {"index": index, "value": chat[index]["content"], "liked": True})
    voted = ready_web.vote(records, [], like)
    assert len(voted) == 1 and ready_web.feedback.count("up") == 1
    dislike = gr.LikeData(None, {"index": index, "value": chat[index]["content"], "liked": False})
    again = ready_web.vote(records, voted, dislike)
    assert again == voted
    assert ready_web.feedback.count() == 1, "a second vote on the same answer is not stored"
    # The same question asked again gives the same answer: the store keeps one vote per session and answer
    # text (a later vote replaces the earlier one), so stacking votes by re-asking does not work either.
    _, chat, _, records, _ = last(list(ready_web.respond(QUESTION, chat, [], records)))
    like = gr.LikeData(None, {"index": len(chat) - 1, "value": "", "liked": True})
    assert len(ready_web.vote(records, again, like)) == 2
    assert ready_web.feedback.count() == 1 and ready_web.feedback.count("up") == 1


def test_rebuild_is_refused_without_the_admin_token(ready_web, settings, assistant):
    for token in ("", "wrong", TOKEN.upper(), None):
        with pytest.warns(UserWarning, match="管理口令不正确"):
            ready_web.refresh_index(True, token)
        assert not ready_web.job.state().running, token
    # No token configured: nobody may rebuild, whatever they send.
    open_web = WebApp(assistant, with_token(settings, None), job=ready_web.job, feedback=ready_web.feedback)
    for token in ("", "anything"):
        with pytest.warns(UserWarning, match="ASSISTANT_APP_ADMIN_TOKEN"):
            open_web.refresh_index(True, token)
        assert not open_web.job.state().running


def test_rebuild_controls_are_hidden_until_a_token_is_configured(settings, assistant):
    def visible(demo, elem_id) -> bool:
        (props,) = [c["props"] for c in demo.config["components"] if c["props"].get("elem_id") == elem_id]
        return props.get("visible", True) is True

    demo, web = create_app(assistant, with_token(settings, None), start_index_job=False)
    assert not web.admin_enabled
    assert not visible(demo, "rebuild-row") and visible(demo, "rebuild-help")
    demo, web = create_app(assistant, with_token(settings, TOKEN), start_index_job=False)
    assert web.admin_enabled
    assert visible(demo, "rebuild-row") and not visible(demo, "rebuild-help")
