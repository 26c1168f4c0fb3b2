"""Corpus changes made by the admin API: safe file names, nothing outside the folder, careful manifest edits."""

from __future__ import annotations

import io
import shutil
import tomllib
from pathlib import Path

import pytest

from assistant.corpus import load_manifest
from assistant.server.corpus_files import inside, remove_document, sanitise_name, save_upload, set_metadata
from assistant.server.limits import ApiError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("通知.txt", "通知.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\x\\方案 (1).DOCX", "方案_(1).docx"),
        (".hidden.pdf", "hidden.pdf"),
        ("a\x00b;rm -rf.html", "a_b_rm_-rf.html"),
        ("．．／ｘ.txt", "x.txt"),
        (".txt", "upload.txt"),
    ],
)
def test_sanitise_name(given, expected):
    assert sanitise_name(given) == expected


@pytest.mark.parametrize("given", ["manifest.toml", "a.exe", "noext", "", None, "x.txt.sh"])
def test_unsupported_names_are_refused(given):
    with pytest.raises(ApiError) as info:
        sanitise_name(given)
    assert info.value.status == 400


def test_inside_refuses_links_out_of_the_folder(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "out.txt").symlink_to(tmp_path / "elsewhere.txt")
    assert inside(corpus, "ok.txt") == corpus.resolve() / "ok.txt"
    for name in ("out.txt", "../x.txt", "/etc/passwd"):
        with pytest.raises(ApiError):
            inside(corpus, name)


def test_save_upload_checks_before_it_writes(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = "梧桐小学作业公示制度\n每周五公示下周作业安排，作业总量不超过规定。\n"
    path, doc_id = save_upload(corpus, "公示.txt", io.BytesIO(text.encode("gb18030")), 1 << 20, set())
    assert path.read_bytes() == text.encode("gb18030") and doc_id == "公示"
    for data, limit, status in ((b"x" * 2000, 1000, 413), (bytes(range(256)) * 30, 1 << 20, 400)):
        with pytest.raises(ApiError) as info:
            save_upload(corpus, "b.txt", io.BytesIO(data), limit, set())
        assert info.value.status == status
    with pytest.raises(ApiError) as info:
        save_upload(corpus, "另一份.txt", io.BytesIO(text.encode()), 1 << 20, {"另一份"})
    assert info.value.status == 409
    for twin in ("公示.html", "公示.htm"):  # same id as the file already there, though not yet indexed
        with pytest.raises(ApiError) as info:
            save_upload(corpus, twin, io.BytesIO("<p>另一份通知的正文</p>".encode()), 1 << 20, set())
        assert info.value.status == 409
    assert sorted(p.name for p in corpus.iterdir()) == ["公示.txt"], "no temp file or refused upload stays"


def test_manifest_edits_keep_every_other_entry_verbatim(tmp_path):
    manifest = tmp_path / "manifest.toml"
    shutil.copy(ROOT / "corpus" / "manifest.toml", manifest)
    original = manifest.read_text(encoding="utf-8")
    before = load_manifest(manifest)

    set_metadata(
        manifest, "jilin-four-combinations", "002_b89974fea58f4403.txt", {"title": '新"标题"\\', "year": 2022}
    )
    set_metadata(manifest, "new-doc", "new.txt", {"region": "江西省", "aliases": ["甲校", "乙校"]})
    after = {e.id: e for e in load_manifest(manifest)}
    assert (
        after["jilin-four-combinations"].title == '新"标题"\\'
        and after["jilin-four-combinations"].year == 2022
    )
    assert after["jilin-four-combinations"].anchor == "一是宣教结合推动“双减”"
    assert after["new-doc"].aliases == ["甲校", "乙校"] and after["new-doc"].source == "new.txt"
    assert len(after) == len(before) + 1
    text = manifest.read_text(encoding="utf-8")
    assert text.startswith(original.split("[[documents]]", 1)[0]), "the header comments stay"
    untouched = original.split("[[documents]]")[1:]
    kept = [b for b in untouched if 'id = "jilin-four-combinations"' not in b]
    assert all(block.rstrip() in text for block in kept)

    with pytest.raises(ApiError):
        set_metadata(manifest, "new-doc", "new.txt", {"level": "galaxy"})
    assert manifest.read_text(encoding="utf-8") == text, "a refused edit leaves the file as it was"
    tomllib.loads(text)


def test_remove_document_deletes_the_file_or_skips_a_part(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    manifest = corpus / "manifest.toml"
    (corpus / "a.txt").write_text("甲文件\n正文内容足够长了。", encoding="utf-8")
    (corpus / "b.txt").write_text("乙文件\n第一部分\n第二部分", encoding="utf-8")
    manifest.write_text(
        '[[documents]]\nid = "a"\nsource = "a.txt"\n\n'
        '[[documents]]\nid = "b1"\nsource = "b.txt"\nanchor = "第一部分"\n\n'
        '[[documents]]\nid = "b2"\nsource = "b.txt"\nanchor = "第二部分"\n',
        encoding="utf-8",
    )
    remove_document(corpus, manifest, "b1", "b.txt", shared=True)
    assert (corpus / "b.txt").exists()
    assert {e.id: e.skip for e in load_manifest(manifest)} == {"a": False, "b1": True, "b2": False}
    remove_document(corpus, manifest, "a", "a.txt", shared=False)
    assert not (corpus / "a.txt").exists()
    assert [e.id for e in load_manifest(manifest)] == ["b1", "b2"]
