"""Odd files: each is read correctly or rejected with one line naming the file and the reason."""

import os
import zlib
from pathlib import Path

import pytest

from assistant.errors import SourceRejected
from assistant.loaders import read_source

TEXT = "三至六年级学生书面作业时间平均每天不超过1小时，课后服务结束时间不早于当地正常下班时间。"


def test_gbk_and_gb18030_text_is_decoded(tmp_path: Path):
    for codec in ("gbk", "gb18030"):
        path = tmp_path / f"{codec}.txt"
        path.write_bytes((TEXT * 3).encode(codec))
        assert TEXT in read_source(path)


def test_empty_file_is_rejected(tmp_path: Path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"  \n")
    with pytest.raises(SourceRejected, match="empty.txt：文件是空的"):
        read_source(path)


def test_binary_file_is_rejected(tmp_path: Path):
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(SourceRejected, match="blob.txt：.*二进制"):
        read_source(path)


def test_unsupported_type_is_rejected(tmp_path: Path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 100)
    with pytest.raises(SourceRejected, match="不支持的文件类型"):
        read_source(path)


def test_docx_text_is_extracted(tmp_path: Path):
    import docx

    document = docx.Document()
    document.add_paragraph("阳光小学“双减”工作方案")
    document.add_paragraph(TEXT)
    path = tmp_path / "plan.docx"
    document.save(path)
    assert TEXT in read_source(path)


def test_broken_docx_is_rejected(tmp_path: Path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SourceRejected, match="broken.docx：无法打开 Word 文档"):
        read_source(path)


def _pdf(text: str | None) -> bytes:
    """A minimal one-page PDF; with text=None the page has no text layer (like a scan)."""
    content = b"" if text is None else f"BT /F1 18 Tf 40 700 Td ({text}) Tj ET".encode("latin-1")
    stream = zlib.compress(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_text_is_extracted_and_a_textless_pdf_is_rejected(tmp_path: Path):
    path = tmp_path / "policy.pdf"
    path.write_bytes(_pdf("Homework limit: 60 minutes per day"))
    assert "60 minutes" in read_source(path)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(_pdf(None))
    with pytest.raises(SourceRejected, match="scan.pdf：没有可提取的文字"):
        read_source(scan)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n garbage")
    with pytest.raises(SourceRejected, match="broken.pdf"):
        read_source(broken)


def test_html_page_keeps_text_and_drops_scripts(tmp_path: Path):
    path = tmp_path / "page.html"
    path.write_text(
        f"<html><head><title>通知</title><script>var x='不要这个';</script></head><body><nav>首页 | 新闻</nav>"
        f"<h1>阳光小学课后服务</h1><p>{TEXT}</p></body></html>",
        encoding="utf-8",
    )
    text = read_source(path)
    assert TEXT in text and "阳光小学课后服务" in text and "不要这个" not in text


def test_size_is_checked_before_reading(tmp_path: Path, monkeypatch):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse
    reads = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or b"")
    with pytest.raises(SourceRejected, match="超过 20 MB"):
        read_source(huge)
    assert reads == []


def test_a_fifo_is_refused_without_blocking(tmp_path: Path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # open() would wait for a writer forever
    with pytest.raises(SourceRejected, match="不是普通文件"):
        read_source(fifo)
