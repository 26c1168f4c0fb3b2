"""The question memory: locating remembered answers in the index, neighbours and their votes, holding out."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import Assistant
from assistant.answering.scorer import FEATURES
from assistant.memory import (
    EVERYONE,
    MEMORY_PATH,
    NO_VOTE_GAP,
    OTHER_STAGE,
    QuestionMemory,
    Remembered,
    _Locator,
    comparable,
    load_items,
    save_items,
)
from assistant.ranking import CHUNK_FEATURES
from evals.train_ranker import NO_MEMORY, without_writer, writer

UNITS = [
    ("c1", 0, "小学一二年级不布置书面家庭作业。"),
    ("c1", 17, "三至六年级书面作业平均完成时间不超过60分钟。"),
    ("c2", 0, "校外培训机构不得占用国家法定节假日、休息日及寒暑假组织学科类培训。"),
    ("c2", 35, "课后服务结束时间原则上不早于当地正常下班时间。"),
]


def test_a_snippet_is_found_in_the_sentence_it_was_copied_from():
    locate = _Locator(UNITS)
    assert locate(("不超过60分钟",)) == {("c1", 17)}
    # the writer's copy may differ in spaces and width
    assert locate(("平均完成时间不超过 ６０ 分钟",)) == {("c1", 17)}
    # a snippet across a sentence break belongs to both sentences
    assert locate(("书面家庭作业。三至六年级书面作业",)) == {("c1", 0), ("c1", 17)}
    assert locate(("这句话不在任何文件里出现过",)) == frozenset()
    assert locate(("作业",)) == frozenset()  # too short to say which sentence
    assert comparable(" “不得” ") == "不得"


def _memory(assistant: Assistant, items: list[Remembered]) -> QuestionMemory:
    grades = {"三年级": {3}, "高中": {10}}
    return QuestionMemory(
        items,
        assistant.embedder,
        lambda item: (item.question, next((g for w, g in grades.items() if w in item.question), set())),
        UNITS,
    )


ITEMS = [
    Remembered("周末能不能给娃报补课班", evidence=("不得占用国家法定节假日、休息日",), group="pA"),
    Remembered("三年级的娃一晚上作业最多写多久", evidence=("不超过60分钟",), group="pB"),
    Remembered("高中生晚自习几点下课", answerable=False, group="pB"),
]


def test_neighbours_vote_for_the_sentence_that_answered_them(assistant):
    memory = _memory(assistant, ITEMS)
    assert len(memory) == 3
    recall = memory.recall(assistant.embedder.embed_query("星期六可以送孩子去上数学辅导班吗"))
    weekend, homework = recall.sentence_row(("c2", 0)), recall.sentence_row(("c1", 17))
    assert weekend[0] == pytest.approx(0.0)  # the closest neighbour voted for it
    assert weekend[1] == 1.0 and homework[1] == 0.5  # 1 / (1 + rank of the voter)
    assert homework[0] < 0.0
    assert recall.sentence_row(("c1", 0)) == [NO_VOTE_GAP, 0.0, 0.0]
    assert recall.chunk_row("c2")[1] == 1.0
    assert recall.pool_chunks()[:2] == ["c2", "c1"]
    assert recall.question_row() == [pytest.approx(1 / 3)]  # one of the three was unanswerable
    # …said of the documents remembered questions were answered from; a document added since may answer it
    assert recall.question_row("c2") == [pytest.approx(1 / 3)]
    assert recall.question_row("added-later") == [0.0]
    with memory.holding_out({"pC"}, documents={"c2"}):  # c2 as if added later
        recall = memory.recall(assistant.embedder.embed_query("星期六可以送孩子去上数学辅导班吗"))
        # pA (answered from c2) is out: one of the two left was unanswerable
        assert recall.question_row("c2") == [0.0] and recall.question_row("c1") == [pytest.approx(1 / 2)]


def test_holding_out_leaves_a_writer_or_everyone_out(assistant):
    memory = _memory(assistant, ITEMS)
    vector = assistant.embedder.embed_query("星期六可以送孩子去上数学辅导班吗")
    with memory.holding_out({"pA"}):
        recall = memory.recall(vector)
        assert len(recall.votes) == 2
        assert recall.sentence_row(("c2", 0)) == [NO_VOTE_GAP, 0.0, 0.0]  # its only voter was pA's
    with memory.holding_out({"pC"}, documents={"c1"}):  # as if c1's document were added later
        recall = memory.recall(vector)
        assert len(recall.votes) == 2 and recall.sentence_row(("c1", 17))[1:] == [0.0, 0.0]
    with memory.holding_out({EVERYONE}):
        assert memory.recall(vector).votes == []
    assert len(memory.recall(vector).votes) == 3  # restored


def test_an_empty_memory_votes_for_nothing(assistant):
    recall = _memory(assistant, []).recall(assistant.embedder.embed_query("作业多久"))
    assert recall.sentence_row(("c1", 0)) == [NO_VOTE_GAP, 0.0, 0.0]
    assert recall.question_row() == [0.0]
    assert recall.pool_chunks() == []


def test_items_round_trip(tmp_path):
    path = tmp_path / "memory.jsonl"
    save_items(ITEMS, path)
    assert load_items(path) == ITEMS
    assert load_items(tmp_path / "missing.jsonl") == []


def test_the_shipped_memory_finds_its_answers_in_the_real_index(assistant):
    items = load_items(MEMORY_PATH)
    assert len(items) >= 500, "assistant/data/memory.jsonl is missing: run python -m evals.train"
    memory = assistant.engine().memory
    answerable = [v for v, item in zip(memory.votes, memory.items, strict=True) if item.evidence]
    located = sum(bool(v) for v in answerable)
    assert located >= 0.9 * len(answerable)
    # no evaluation set that is reported as unseen (or is about documents outside the corpus) is remembered
    unseen = {
        "q",
        "h",
        "f",
        "n",
        "g",
        "nL",
        "nP",
        "nR",
        "nS",
        "nT",
        "nU",
        "nV",
        "nW",
        "nX",
        "nY",
        "nZ",
        "uS",
        "uT",
    }
    assert not {item.group for item in items} & unseen


def test_a_remembered_answer_reaches_the_models_features(assistant):
    """A question close to remembered ones: its answering chunk gets votes in the ranker's pool, and the
    sentence scorer's candidates carry the votes in their own columns."""
    engine = assistant.engine()
    query = assistant.understand("娃上三年级，每天回家作业写到很晚，规定一天最多写多长时间")
    hits, rows = engine.ranker.pool(query)
    col = {name: i for i, name in enumerate(CHUNK_FEATURES)}
    voted = rows[:, col["memory_rr"]] > 0
    assert voted.any()
    # the neighbours were answered by the grade 3–4 rule (三、四年级…半个小时 / 3、4年级半小时内完成)
    voted_texts = [h.chunk.text for h, v in zip(hits, voted, strict=True) if v]
    assert any("三、四年级" in t or "3、4年级" in t for t in voted_texts)
    candidates = assistant.candidates("娃上三年级，每天回家作业写到很晚，规定一天最多写多长时间")
    scol = {name: i for i, name in enumerate(FEATURES)}
    voted_sentences = [c.sentence.text for c in candidates if c.features[scol["memory_rr"]] > 0]
    assert any("三、四年级" in t or "3、4年级" in t for t in voted_sentences)
    assert all(c.features[scol["memory_gap"]] <= 0.0 for c in candidates)


def test_training_holds_out_the_writer_and_sometimes_the_documents(assistant):
    memory = assistant.engine().memory
    assert writer({"id": "pA012"}) == "pA" and writer({"id": "tE003"}) == "tE"
    # no evidence and no named document: only the writer, never the whole memory (an empty memory must not
    # come to mean "unanswerable")
    for n in range(30):
        with without_writer(assistant, {"id": f"pC{n:03d}", "answerable": False}):
            assert memory.held_out == {"pC"} and not memory.held_out_documents
    assert memory.held_out == frozenset()

    def documents_held(item: dict) -> list[frozenset[str]]:
        held = []
        for n in range(30):
            with without_writer(assistant, {**item, "id": f"pC{n:03d}"}):
                assert memory.held_out == {"pC"}
                held.append(memory.held_out_documents)
        return held

    # with evidence, the documents that answer it are held out for every NO_MEMORY-th question
    answered = documents_held(
        {"answerable": True, "evidence": ["三至六年级书面作业平均完成时间不超过60分钟"]}
    )
    assert 30 / NO_MEMORY / 2 <= sum(bool(h) for h in answered) <= 30 / NO_MEMORY * 2
    # an unanswerable question naming a school: that school's document, like an answerable one's
    question = "赣州一中现任校长是谁？"
    named = assistant.understand(question).doc_ids
    assert named
    unanswerable = documents_held({"answerable": False, "question": question})
    assert all(h == named for h in unanswerable if h)
    assert 30 / NO_MEMORY / 2 <= sum(bool(h) for h in unanswerable) <= 30 / NO_MEMORY * 2


def test_answers_without_a_memory_still_work(settings):
    """A document no remembered question was about is scored as with no memory at all: that path answers."""
    bot = Assistant(settings, memory=[])
    answer = bot.ask("三年级每天的书面作业不超过多长时间？")
    assert not answer.abstained
    assert "60" in answer.text
    assert np.isfinite(answer.confidence)


def test_a_question_naming_only_unremembered_documents_gets_no_neighbours(assistant):
    """白水镇中学's questions must not be answered by neighbours voting for other schools' rules."""
    memory = _memory(assistant, ITEMS)
    vector = assistant.embedder.embed_query("星期六可以送孩子去上数学辅导班吗")
    assert memory.recall(vector, named={"c9"}).votes == []
    assert len(memory.recall(vector, named={"c2"}).votes) == 3
    assert len(memory.recall(vector, named={"c2", "c9"}).votes) == 3


def test_a_remembered_question_about_other_grades_is_no_neighbour(assistant):
    memory = _memory(assistant, ITEMS)
    vector = assistant.embedder.embed_query("七年级的孩子晚上作业最多写多久")
    everyone = memory.recall(vector)
    assert len(everyone.votes) == 3
    seventh = memory.recall(vector, grades={7})
    # the 三年级 and 高中 questions are left out; the one naming no grade stays
    assert len(seventh.votes) == 1 and seventh.sentence_row(("c2", 0))[1] == 1.0
    assert len(memory.recall(vector, grades={3}).votes) == 2


def test_the_memory_vectors_ship_with_the_package(assistant):
    """A fresh index need not embed the remembered questions: evals.train ships their vectors."""
    from assistant.memory import shipped_vectors

    path = shipped_vectors(assistant.embedder)
    assert path.exists(), "run python -m evals.train"
    keys = set(np.load(path)["keys"].tolist())
    memory = assistant.engine().memory
    assert sum(k in keys for k in memory.keys) >= 0.95 * len(memory.keys)


def test_a_remembered_question_on_high_school_is_no_neighbour_of_one_on_grade_7(assistant):
    memory = assistant.engine().memory
    high = [n for n, item in enumerate(memory.items) if "高中" in item.question or "高一" in item.question]
    assert high and all(memory.grades[n] == {OTHER_STAGE} for n in high)
    question = "我家闺女刚上初一，每天晚上写作业写到快十一点，一天作业最多写多久啊"
    query = assistant.understand(question)
    vector = assistant.embedder.embed_query(query.text)
    recall = memory.recall(vector, query.doc_ids, query.grades)
    sims = memory.matrix @ vector
    neighbours = [int(np.argmin(np.abs(sims - s))) for s in recall.similarities]
    assert neighbours and not set(neighbours) & set(high)
    # without the grade, the 高中 questions are among the closest (they read alike)
    unfiltered = np.argsort(-sims)[:8]
    assert set(unfiltered.tolist()) & set(high)


def test_a_document_added_later_restating_a_remembered_sentence_is_not_known(assistant):
    # c3 is a new school's document repeating the national weekend rule word for word: the remembered weekend
    # question's vote falls on both, but no remembered question was about the new school.
    units = [*UNITS, ("c3", 0, "校外培训机构不得占用国家法定节假日、休息日及寒暑假组织学科类培训。")]
    memory = QuestionMemory(
        ITEMS,
        assistant.embedder,
        lambda item: (item.question, set()),
        units,
        document_of=lambda chunk_id: {"c1": "old-a", "c2": "old-b", "c3": "new-school"}[chunk_id],
    )
    assert memory.known_documents == {"old-a"}  # the homework answer was found in old-a alone
    vector = assistant.embedder.embed_query("新学校高中晚自习几点结束")
    # a question naming the new school gets no neighbours: scored as with no memory, not as "unanswerable"
    assert memory.recall(vector, named={"new-school"}).question_row() == [0.0]
    assert memory.recall(vector, named={"old-a"}).question_row() != [0.0]
