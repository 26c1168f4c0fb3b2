"""The manifest splits the compilation into its documents; unlisted files are indexed with inferred metadata."""

from pathlib import Path

import pytest

from assistant.corpus import infer_meta, load_corpus, split_by_anchors
from assistant.errors import ManifestError
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def docs():
    loaded = load_corpus(CORPUS)
    assert loaded.rejected == []
    return {d.id: d for d in loaded.documents}


def test_compilation_parts_have_their_own_titles_and_issuers(docs):
    assert len(docs) >= 15
    by_issuer = {d.meta.issuer: d for d in docs.values()}
    assert "八步区" in by_issuer["八步区教科局"].meta.title
    assert by_issuer["八步区教科局"].text.startswith("市双减半年工作总结16")
    assert by_issuer["梧州市龙圩区教育局"].meta.level == "county"
    assert "龙圩区" in by_issuer["梧州市龙圩区教育局"].text
    assert by_issuer["亳州市教育局"].meta.level == "city"
    assert "亳州市学科类隐形变异培训问题专项排查整治工作方案" in by_issuer["亳州市教育局"].text
    assert "龙陵县教育体育局成立了以局长为组长" in by_issuer["龙陵县教育体育局"].text
    assert by_issuer["北臧村镇中心幼儿园"].meta.level == "kindergarten"


def test_parts_do_not_leak_into_each_other(docs):
    assert "八步区" not in docs["longxu-district-report"].text
    assert "和平三小" not in docs["primary-2024-plan"].text
    assert docs["hepingsanxiao-jianfu-plan"].text.startswith("“减轻学生过重课业负担”工作实施方案")
    # the repeated fragment marked skip=true is not a document of its own
    assert "repeated-fragment-1" not in docs


def test_unlisted_file_is_indexed_with_inferred_metadata(tmp_path: Path):
    (tmp_path / "new.txt").write_text(
        "阳光小学课后服务实施方案\n一、服务时间\n课后服务于每天下午5点30分结束。", encoding="utf-8"
    )
    loaded = load_corpus(tmp_path)
    [doc] = loaded.documents
    assert doc.meta.title == "阳光小学课后服务实施方案"
    assert doc.meta.issuer == "阳光小学" and doc.meta.level == "school" and doc.meta.doc_type == "plan"


def test_a_missing_anchor_is_a_clear_error():
    with pytest.raises(ManifestError, match="找不到分段标记"):
        split_by_anchors("甲文件\n乙文件", ["甲文件", "丙文件"], "x.txt")


def test_infer_meta_finds_county_issuer():
    meta = infer_meta(Path("a.txt"), "龙陵县教育体育局关于2022年双减工作的通知\n正文")
    assert meta.level == "county" and meta.year == 2022 and meta.doc_type == "notice"
