"""`python -m assistant ask` through its real entry point (a subprocess), reusing the session index."""

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def _ask(home, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "assistant", "ask", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_ask_json_shape(assistant, session_home):
    done = _ask(session_home, "三年级每天的书面作业不超过多长时间？", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert set(payload) >= {"answer", "abstained", "citations", "retrieved", "latency_ms"}
    assert payload["citations"] and set(payload["citations"][0]) >= {
        "doc_id",
        "title",
        "section",
        "quote",
        "text",
    }
    assert len(payload["retrieved"]) == 10
    scores = [r["score"] for r in payload["retrieved"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_explain_and_followup(assistant, session_home):
    done = _ask(
        session_home, "那五年级呢？", "--history", "三年级每天的书面作业不超过多长时间？", "--explain"
    )
    assert done.returncode == 0, done.stderr
    assert "按上文理解为：五年级" in done.stdout
    assert "关键词" in done.stdout and "向量" in done.stdout and "融合" in done.stdout


def test_arguments_are_decoded_and_stripped_of_escape_codes():
    from assistant.cli import clean_arg, safe

    gbk = "三年级作业".encode("gbk").decode("utf-8", "surrogateescape")  # how argv holds non-UTF-8 bytes
    assert clean_arg(gbk) == "三年级作业"
    assert clean_arg("\x1b[31m三年级\x1b]0;title\x07作业\x1b[2J") == "三年级作业"
    assert clean_arg("\x1b[0m").strip() == ""
    assert safe("标题\udcff\x1b[1m") == "标题?"
