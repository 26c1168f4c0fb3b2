"""Issue 12, "The running app breaks after the README's own add-a-document workflow": a long-running
reader process answers while other processes ingest; it never fails and switches to the newest generation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from tests.conftest import ROOT

from .conftest import SMALL_QUESTION, Home, cli

READER = """
import json, sys
from assistant import Assistant
bot = Assistant()
for line in sys.stdin:
    try:
        answer = bot.ask(line.strip())
        out = {"generation": bot.engine().index.generation, "text": answer.text,
               "cited": [c.doc_id for c in answer.citations]}
    except Exception as exc:
        out = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(out, ensure_ascii=False), flush=True)
"""


class Reader:
    """A separate process holding one Assistant, like the web app does."""

    def __init__(self, home: Home):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        env.update(ASSISTANT_HOME=str(home.path), HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
        self.process = subprocess.Popen(
            [sys.executable, "-c", READER],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def ask(self, question: str) -> dict:
        self.process.stdin.write(question + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _ingest(home: Home) -> str:
    done = cli(home, "ingest", "--quiet")
    assert done.returncode == 0, done.err
    return (home.index / "CURRENT").read_text().strip()


def test_reader_survives_two_ingests_and_switches(small_home):
    extra = small_home.corpus / "sunshine.txt"
    reader = Reader(small_home)
    try:
        first = reader.ask(SMALL_QUESTION)
        assert "error" not in first and first["cited"]
        start = first["generation"]

        extra.write_text(
            "阳光小学课后服务实施方案\n一、服务时间\n阳光小学课后服务于每天下午5点30分结束。", "utf-8"
        )
        second_gen = _ingest(small_home)
        time.sleep(1.2)  # readers look at CURRENT at most once a second
        added = reader.ask("阳光小学课后服务几点结束？")
        assert "error" not in added, added
        assert added["generation"] == second_gen != start
        assert "sunshine" in added["cited"]

        # the README workflow twice more while the reader is idle: its generation must survive
        extra.write_text(
            "阳光小学课后服务实施方案\n一、服务时间\n阳光小学课后服务于每天下午6点结束。", "utf-8"
        )
        _ingest(small_home)
        (small_home.corpus / "moon.txt").write_text(
            "月亮小学睡眠管理办法\n小学生每天睡眠应达到10小时。", "utf-8"
        )
        last_gen = _ingest(small_home)
        assert (small_home.index / "generations" / second_gen).is_dir(), "pruned under a live reader"

        time.sleep(1.2)
        changed = reader.ask("阳光小学课后服务几点结束？")
        assert "error" not in changed, changed
        assert changed["generation"] == last_gen
        assert "6点" in changed["text"] and "5点30分" not in changed["text"]
        again = reader.ask(SMALL_QUESTION)
        assert "error" not in again and again["text"] == first["text"]
    finally:
        reader.close()
    # once the reader is gone, the next ingest prunes what it held
    (small_home.corpus / "moon.txt").unlink()
    _ingest(small_home)
    assert not (small_home.index / "generations" / second_gen).exists()
