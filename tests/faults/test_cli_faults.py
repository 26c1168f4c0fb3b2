"""Issue 12, "CLI tracebacks to turn into messages": bytes and markup a user or a document can send."""

from __future__ import annotations

import json

from .conftest import GRADE3_QUESTION, assert_clean, cli, sources


def test_invalid_utf8_in_question_and_history(full_home):
    done = cli(full_home, "ask", b"\xff\xfe\xe4\xbd\x9c\xe4\xb8\x9a \x80?", "--history", b"\xc3\x28\xa0\xa1")
    assert_clean(done)
    assert done.returncode in (0, 2) and (done.out.strip() or done.err.strip())


def test_gbk_encoded_question_is_understood(full_home):
    utf8 = json.loads(cli(full_home, "ask", GRADE3_QUESTION, "--json").out)
    gbk = cli(full_home, "ask", GRADE3_QUESTION.encode("gbk"), "--json")
    assert_clean(gbk)
    assert gbk.returncode == 0
    payload = json.loads(gbk.out)
    assert payload["citations"] and payload["answer"] == utf8["answer"]


def test_empty_question_exits_non_zero(full_home):
    for question in ("", "   ", "\x1b[0m"):
        done = cli(full_home, "ask", question)
        assert_clean(done)
        assert done.returncode == 2 and "请输入您的问题" in done.err


def test_terminal_escape_codes_are_never_echoed(full_home):
    done = cli(full_home, "ask", "\x1b[31m三年级\x1b]0;pwned\x07作业多长时间？\x1b[2J", "--explain")
    assert_clean(done)  # no ESC or BEL anywhere in the output
    assert done.returncode == 0


def test_markup_in_a_title_is_shown_as_text(small_home):
    (small_home.corpus / "markup.txt").write_text(
        "关于[/b]作业[bold red]公示[/] root:x:0:0 :smile: 的通知\n各年级书面作业每周公示一次。", "utf-8"
    )
    assert cli(small_home, "ingest", "--quiet").returncode == 0
    table = cli(small_home, "sources")
    assert_clean(table)
    assert table.returncode == 0
    assert "[/b]" in table.out and "[bold red]" in table.out and "root:x:0:0" in table.out
    assert ":smile:" in table.out and "😄" not in table.out
    assert any("[/b]" in d["title"] for d in sources(small_home).values())
