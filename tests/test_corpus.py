"""The manifest splits the compilation into its documents; unlisted files are indexed with inferred metadata."""

from pathlib import Path

import pytest

from assistant.corpus import infer_meta, load_corpus, load_manifest, split_by_anchors
from assistant.errors import CorpusMissing, ManifestError
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


def _manifest(tmp_path: Path, entries: str) -> Path:
    (tmp_path / "manifest.toml").write_text(entries, encoding="utf-8")
    return tmp_path / "manifest.toml"


def test_a_bad_value_drops_the_value_not_the_entry(tmp_path: Path):
    problems: list[str] = []
    entries = load_manifest(
        _manifest(
            tmp_path,
            '[[documents]]\nid = "a"\nsource = "a.txt"\naliases = "作业"\nyear = "二〇二一年"\nlevel = "x"\ncolour = 1\n',
        ),
        problems,
    )
    assert [(e.id, e.aliases, e.year, e.level) for e in entries] == [("a", [], None, None)]
    text = "\n".join(problems)
    for name in ("aliases", "year", "level", "colour"):
        assert f"{name} 未使用" in text


def test_entries_without_id_or_with_a_duplicate_id_are_skipped_with_a_reason(tmp_path: Path):
    problems: list[str] = []
    entries = load_manifest(
        _manifest(
            tmp_path,
            '[[documents]]\nsource = "a.txt"\n[[documents]]\nid = "b"\nsource = "b.txt"\n'
            '[[documents]]\nid = "b"\nsource = "c.txt"\n[[documents]]\nid = "d"\nsource = 3\n',
        ),
        problems,
    )
    assert [e.id for e in entries] == ["b"]
    assert "缺少 id" in problems[0] and "重复" in problems[1] and "source 必须是非空的文字" in problems[2]


def test_same_stem_files_get_distinct_ids_and_manifest_ids_stay(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notice.txt").write_text("星光小学课后服务通知\n课后服务每天下午五点半结束。", "utf-8")
    (corpus / "notice.html").write_text("<h1>星光小学作业通知</h1><p>作业每周公示一次。</p>", "utf-8")
    (corpus / "plan.txt").write_text("月亮小学工作方案\n学生每天锻炼一小时。", "utf-8")
    (corpus / "plan.md").write_text("月亮小学睡眠方案\n学生每天睡眠十小时。", "utf-8")
    _manifest(corpus, '[[documents]]\nid = "plan"\nsource = "plan.txt"\n')
    loaded = load_corpus(corpus)
    ids = {d.meta.source: d.id for d in loaded.documents}
    assert len(set(ids.values())) == 4 and ids["plan.txt"] == "plan"
    assert sum("改用编号" in p for p in loaded.problems) == 2


def test_missing_corpus_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(CorpusMissing, match="找不到语料文件夹"):
        load_corpus(tmp_path / "nowhere")
