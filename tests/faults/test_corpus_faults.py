"""Issue 12, "Data lost silently" and the size check: each case on a real corpus copy through the real CLI."""

from __future__ import annotations

import json
import os
import resource
import time

import docx

from .conftest import Home, assert_clean, cli, sources


def _ingest(home: Home, *args: str):
    done = cli(home, "ingest", "--quiet", *args)
    assert_clean(done)
    return done


def test_same_base_name_keeps_both_documents(small_home):
    before = sources(small_home)
    document = docx.Document()
    document.add_paragraph("星光小学作业公示通知")
    document.add_paragraph("各年级书面作业实行公示制度，每周一在班级群公布本周作业安排。")
    document.save(small_home.corpus / "notice.docx")
    (small_home.corpus / "notice.txt").write_text(
        "星光小学课后服务通知\n课后服务每天下午五点半结束，家长自愿参加。", encoding="utf-8"
    )
    (small_home.corpus / "x.html").write_text(
        "<html><body><h1>月亮小学睡眠管理办法</h1><p>小学生每天睡眠时间应达到10小时。</p></body></html>",
        encoding="utf-8",
    )
    (small_home.corpus / "x.txt").write_text("月亮小学手机管理办法\n学生手机不得带入课堂。", encoding="utf-8")
    done = _ingest(small_home)
    assert done.returncode == 0, done.err
    assert "改用编号" in done.err
    after = sources(small_home)
    assert set(before) <= set(after)
    by_source = {d["source"]: d["id"] for d in after.values()}
    assert {"notice.docx", "notice.txt", "x.html", "x.txt"} <= set(by_source)
    assert len({by_source[s] for s in ("notice.docx", "notice.txt", "x.html", "x.txt")}) == 4


def test_empty_corpus_folder_never_wipes_the_index(full_home, tmp_path):
    before = sources(full_home)
    empty = tmp_path / "empty"
    empty.mkdir()
    done = cli(full_home, "ingest", "--quiet", env={"ASSISTANT_CORPUS_DIR": str(empty)})
    assert_clean(done)
    assert done.returncode == 1
    assert "里面没有文档" in done.err and "索引保持不变" in done.err
    assert sources(full_home) == before and len(before) >= 30


def test_corpus_of_only_unreadable_files_never_wipes_the_index(full_home, tmp_path):
    before = sources(full_home)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "blob.txt").write_bytes(bytes(range(256)) * 40)
    (bad / "scan.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    done = cli(full_home, "ingest", "--quiet", env={"ASSISTANT_CORPUS_DIR": str(bad)})
    assert_clean(done)
    assert done.returncode == 1
    assert "3 个文件都无法读取" in done.err and "索引保持不变" in done.err
    assert sources(full_home) == before


def test_missing_corpus_folder_is_a_message(full_home, tmp_path):
    before = sources(full_home)
    done = cli(full_home, "ingest", env={"ASSISTANT_CORPUS_DIR": str(tmp_path / "nowhere")})
    assert_clean(done)
    assert done.returncode == 1 and "找不到语料文件夹" in done.err
    assert sources(full_home) == before


MANIFEST_ENTRIES = """
[[documents]]
id = "moon-sleep"
source = "moon.txt"
level = "galaxy"
year = "二〇二一年"
aliases = "作业"
colour = "blue"

[[documents]]
source = "sun.txt"
title = "没有编号的条目"

[[documents]]
id = "moon-sleep"
source = "sun.txt"

[[documents]]
id = "ghost"
source = "ghost.txt"

[[documents]]
id = "star-part2"
source = "star.txt"
anchor = "这一行正文里没有"
"""


def test_bad_manifest_entries_are_reported_one_by_one(small_home):
    before = sources(small_home)
    (small_home.corpus / "moon.txt").write_text("月亮小学睡眠管理办法\n小学生每天睡眠应达到10小时。", "utf-8")
    (small_home.corpus / "sun.txt").write_text("太阳小学体育锻炼方案\n学生每天校内锻炼1小时。", "utf-8")
    (small_home.corpus / "star.txt").write_text("星星小学作业管理办法\n三年级作业不超过1小时。", "utf-8")
    with open(small_home.corpus / "manifest.toml", "a", encoding="utf-8") as manifest:
        manifest.write(MANIFEST_ENTRIES)
    done = _ingest(small_home)
    assert done.returncode == 0, done.err
    lines = done.err
    assert "level 未使用" in lines and "year 未使用" in lines and "四位数字的年份" in lines
    assert "aliases 未使用" in lines and "文字列表" in lines
    assert "colour 未使用" in lines and "未知字段" in lines
    assert "个条目已跳过：缺少 id" in lines
    assert "编号 moon-sleep 与前面的条目重复" in lines
    assert "ghost.txt 在语料文件夹里不存在" in lines
    assert "找不到分段标记「这一行正文里没有」" in lines
    after = sources(small_home)
    assert set(before) <= set(after)
    moon = after["moon-sleep"]  # the entry kept its id; only its bad values were dropped
    assert moon["level"] != "galaxy" and moon["year"] is None
    assert {d["source"] for d in after.values()} >= {"moon.txt", "sun.txt", "star.txt"}


def test_string_aliases_route_nothing(small_home):
    with open(small_home.corpus / "manifest.toml", "a", encoding="utf-8") as manifest:
        manifest.write('\n[[documents]]\nid = "moon"\nsource = "moon.txt"\naliases = "作业"\n')
    (small_home.corpus / "moon.txt").write_text("月亮小学睡眠管理办法\n小学生每天睡眠应达到10小时。", "utf-8")
    done = _ingest(small_home)
    assert done.returncode == 0 and "别名 aliases 必须是文字列表" in done.err
    answer = cli(small_home, "ask", "每天书面作业总共不超过多少分钟？", "--json")
    assert answer.returncode == 0
    assert "moon" not in {c["doc_id"] for c in json.loads(answer.out)["citations"]}


def test_broken_toml_stops_with_a_message_and_keeps_the_index(small_home):
    before = sources(small_home)
    with open(small_home.corpus / "manifest.toml", "a", encoding="utf-8") as manifest:
        manifest.write('\n[[documents]\nid = "oops\n')
    done = _ingest(small_home)
    assert done.returncode == 1 and "格式有误" in done.err and "索引保持不变" in done.err
    assert sources(small_home) == before


def test_links_and_folders_each_get_a_line(small_home, tmp_path):
    before = sources(small_home)
    corpus = small_home.corpus
    os.symlink(corpus / "loop-b.txt", corpus / "loop-a.txt")
    os.symlink(corpus / "loop-a.txt", corpus / "loop-b.txt")
    os.symlink(tmp_path / "gone.txt", corpus / "dangling.txt")
    os.symlink("/etc/passwd", corpus / "passwd.txt")
    os.symlink(corpus / "000_f513dab035cd72a0.txt", corpus / "inside-link.txt")  # inside: allowed
    (corpus / "sub").mkdir(mode=0o000)
    done = _ingest(small_home)
    assert done.returncode == 0, done.err
    assert "loop-a.txt：链接形成了循环" in done.err
    assert "dangling.txt：链接指向的文件不存在" in done.err
    assert "passwd.txt：链接指向语料文件夹之外" in done.err
    assert "sub：是文件夹" in done.err
    after = sources(small_home)
    assert set(before) <= set(after)
    assert not any("root:" in d["title"] or d["source"] == "passwd.txt" for d in after.values())


def test_huge_file_is_refused_before_it_is_read(small_home):
    before = sources(small_home)
    with open(small_home.corpus / "huge.txt", "wb") as huge:
        huge.truncate(2 * 1024**3)  # sparse: 2 GB to stat, nothing on disk
    started = time.monotonic()
    done = _ingest(small_home)
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.err
    assert "huge.txt：文件超过 20 MB" in done.err
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mb < 1500 and elapsed < 120  # reading 2 GB whole would take both over
    assert sources(small_home) == before
