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


def test_docx_table_rows_become_labelled_sentences_in_place(tmp_path: Path):
    import docx

    document = docx.Document()
    document.add_paragraph("各年级每天书面作业总时长见下表：")
    table = document.add_table(rows=3, cols=3)
    for row, cells in zip(
        table.rows,
        [["年级", "总时长", "说明"], ["七年级", "不超过60分钟", "周五减半"], ["八年级", "不超过70分钟", ""]],
        strict=True,
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    table.rows[2].cells[1].merge(table.rows[2].cells[2])  # a merged cell must not repeat its text
    document.add_paragraph("课后服务结束时间不早于17:30。")
    path = tmp_path / "plan.docx"
    document.save(path)
    lines = read_source(path).split("\n")
    assert lines == [
        "各年级每天书面作业总时长见下表：",
        "七年级，总时长：不超过60分钟，说明：周五减半。",
        "八年级，总时长：不超过70分钟。",
        "课后服务结束时间不早于17:30。",
    ]


def test_html_data_table_rows_become_sentences_but_a_layout_table_stays_prose(tmp_path: Path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><body><table><tr><td><p>附表：课后服务时段</p>"
        "<table><tr><th>时段</th><th>时间</th><th>内容</th></tr>"
        "<tr><td>第一时段</td><td>15:40—16:40</td><td>作业辅导</td></tr>"
        "<tr><td>第二时段</td><td>16:50—17:50</td><td>兴趣活动</td></tr></table>"
        f"<p>{TEXT}</p></td></tr></table></body></html>",
        encoding="utf-8",
    )
    lines = read_source(path).split("\n")
    assert "第一时段，时间：15:40—16:40，内容：作业辅导。" in lines
    assert "第二时段，时间：16:50—17:50，内容：兴趣活动。" in lines
    assert TEXT in lines and "附表：课后服务时段" in lines


def test_markdown_pipe_table_in_a_text_file(tmp_path: Path):
    path = tmp_path / "wechat.md"
    path.write_text(
        "各年级放学时间如下👇\n| 年级 | 结束时间 |\n| --- | --- |\n| 一、二年级 | 17:30 |\n| 三至六年级 | 18∶00 |\n"
        "家长朋友们请按时接孩子。\n",
        encoding="utf-8",
    )
    lines = read_source(path).split("\n")
    assert lines[1:3] == ["一、二年级，结束时间：17:30。", "三至六年级，结束时间：18∶00。"]
    assert lines[0] == "各年级放学时间如下👇" and lines[3] == "家长朋友们请按时接孩子。"


def test_a_pdfs_running_header_and_footer_are_dropped_so_sentences_run_over_pages():
    from assistant.loaders import without_running_lines

    pages = [
        "岚江县教育局文件\n岚教发〔2023〕27号\n一、作业管理\n三至六年级每天书面作业平均不超过60分钟，不得布置\n第 1 页 共 3 页",
        "岚江县教育局文件\n岚教发〔2023〕27号\n机械重复的作业。\n二、考试管理\n第 2 页 共 3 页",
        "岚江县教育局文件\n岚教发〔2023〕27号\n每学期只组织1次期末考试。\n第 3 页 共 3 页",
    ]
    text = "\n".join(without_running_lines(pages))
    # The first page keeps its heading (the issuer); later copies and every page's footer go.
    assert text.startswith("岚江县教育局文件\n岚教发〔2023〕27号\n一、作业管理")
    assert text.count("岚江县教育局文件") == 1 and "第 2 页" not in text and "第 1 页" not in text
    assert "不得布置\n机械重复的作业。" in text
    # One page, or lines that are not on most pages' edges, stay.
    assert without_running_lines(pages[:1]) == pages[:1]
    assert "一、作业管理" in text and "二、考试管理" in text


def test_table_rows_that_open_each_page_are_kept_only_page_numbers_are_compared_without_digits():
    from assistant.loaders import without_running_lines

    pages = [
        "3月，检查机构12家，关停2家。\n正文第一页\n- 1 -",
        "4月，检查机构15家，关停3家。\n正文第二页\n- 2 -",
        "5月，检查机构9家，关停1家。\n正文第三页\n- 3 -",
    ]
    text = "\n".join(without_running_lines(pages))
    assert "4月，检查机构15家，关停3家。" in text and "5月，检查机构9家，关停1家。" in text
    assert "- 2 -" not in text and "- 3 -" not in text


def test_html_merged_cells_key_every_row_they_span(tmp_path: Path):
    path = tmp_path / "times.html"
    path.write_text(
        "<html><body><p>各年级放学时间：</p><table>"
        "<tr><th>年级</th><th>星期</th><th>放学时间</th></tr>"
        "<tr><td rowspan=2>一、二年级</td><td>周一至周四</td><td>17:00</td></tr>"
        "<tr><td>周五</td><td>15:30</td></tr>"
        "</table></body></html>",
        encoding="utf-8",
    )
    lines = read_source(path).split("\n")
    assert "一、二年级，星期：周五，放学时间：15:30。" in lines


def test_markdown_marks_are_taken_off_a_md_file_but_not_a_scraped_text(tmp_path: Path):
    path = tmp_path / "wechat.md"
    path.write_text(
        "# 🔔柳塘路小学告家长书\n---\n## 01 收费\n- 每生每学期**600元**，按学期收取；\n* 延时托管到__18∶30__结束。\n",
        encoding="utf-8",
    )
    assert read_source(path).strip().split("\n") == [
        "🔔柳塘路小学告家长书",
        "01 收费",
        "每生每学期600元，按学期收取；",
        "延时托管到18∶30结束。",
    ]
    scraped = tmp_path / "page.txt"
    scraped.write_text("学校严格执行**市教育局关于作业管理的规定。\n", encoding="utf-8")
    assert "**市教育局" in read_source(scraped)  # a redaction, not emphasis


def test_a_footer_naming_its_issuer_beside_the_page_number_is_still_a_running_line():
    from assistant.loaders import without_running_lines

    pages = [
        "一、作业管理\n三至六年级每天书面作业平均不超过60分钟，不得布置\n晴川区教育局 第 1 页 共 3 页",
        "机械重复的作业。\n二、考试管理\n晴川区教育局 第 2 页 共 3 页",
        "每学期只组织1次期末考试。\n晴川区教育局 第 3 页 共 3 页",
    ]
    text = "\n".join(without_running_lines(pages))
    assert "第 2 页" not in text and "不得布置\n机械重复的作业。" in text


def test_a_layout_table_in_word_says_a_merged_cell_once(tmp_path: Path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    prose = "为进一步落实双减要求，规范课后服务管理，切实减轻学生过重作业负担和校外培训负担，结合我校实际和家长需求，经研究，现将有关事项通知如下。"
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = prose
    table.cell(1, 0).text, table.cell(1, 1).text, table.cell(1, 2).text = "联系人", "张老师", "电话"
    path = tmp_path / "layout.docx"
    document.save(path)
    assert read_source(path).count("切实减轻学生过重作业负担") == 1
