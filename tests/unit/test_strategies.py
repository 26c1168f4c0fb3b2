"""Each answer strategy on hand-built chunks: durations, enumerations, definitions, rules, abstention."""

from assistant.answering.quotes import MAX_QUOTE, window
from assistant.records import Hit

HOMEWORK = {
    "plan-a": "一、二年级不布置书面家庭作业。三至六年级学生书面作业时间平均每天不超过1小时。",
    "plan-b": "三、四年级学生书面作业时间不超过半个小时，五、六年级学生每天书面家庭作业总计控制在一小时之内。",
}


def test_durations_that_differ_are_listed_with_their_sources(shelf):
    answer = shelf(HOMEWORK).ask("三年级每天的书面作业不超过多长时间？")
    assert not answer.abstained and len(answer.conflicts) == 2
    assert "不一致" in answer.text and "1小时（60分钟）" in answer.text and "半小时（30分钟）" in answer.text
    assert {c.doc_id for c in answer.citations} == {"plan-a", "plan-b"}
    for c in answer.citations:
        assert c.quote in c.text


def test_one_duration_is_stated_once(shelf):
    answer = shelf(HOMEWORK).ask("五年级每天的书面作业不超过多长时间？")
    assert not answer.abstained and not answer.conflicts
    assert answer.text.startswith("五年级：资料中的规定是不超过1小时（60分钟）")


def test_enumeration_lists_every_item(shelf):
    text = (
        "学校从四个方面推进作业改革：\n一是优化作业设计，提高作业质量。二是严控作业总量，减轻学生负担。"
        "三是加强作业指导，及时批改反馈。四是开展作业公示，接受家长监督。"
    )
    answer = shelf({"reform": text, "other": "学校开展课后服务，丰富学生课余生活。"}).ask(
        "作业改革有哪几个方面？"
    )
    assert not answer.abstained
    quotes = [c.quote for c in answer.citations]
    assert [q[:2] for q in quotes if q[:2] in ("一是", "二是", "三是", "四是")] == [
        "一是",
        "二是",
        "三是",
        "四是",
    ]


def test_definition_quotes_the_sentence_that_defines_the_term(shelf):
    texts = {
        "policy": "落实“疏堵结合”原则。“堵”就是严格治理校外培训机构，坚决查处违规培训行为。",
        "other": "学校要丰富课后服务内容，满足学生多样化需求。",
    }
    answer = shelf(texts).ask("“疏堵结合”里的“堵”是什么意思？")
    assert not answer.abstained
    assert "“堵”就是严格治理校外培训机构" in answer.citations[0].quote


def test_yes_no_is_answered_by_the_rule(shelf):
    texts = {
        "rules": "严禁给家长布置或变相布置作业，严禁要求家长检查、批改作业。",
        "other": "学校每学期召开一次家长会，通报学生在校表现。",
    }
    answer = shelf(texts).ask("学校能要求家长批改作业吗？")
    assert not answer.abstained and "严禁要求家长检查、批改作业" in answer.text
    assert answer.citations[0].doc_id == "rules"


def test_unrelated_question_abstains(shelf):
    answer = shelf(HOMEWORK).ask("明天会下雨吗？")
    assert answer.abstained and "没有找到" in answer.text and not answer.citations


def test_asked_value_missing_abstains(shelf):
    answer = shelf(HOMEWORK).ask("课后服务几点结束？")
    assert answer.abstained


def test_a_year_does_not_say_which_day(shelf):
    # "2023年修订" dates the rules, not the exam: 几月几号 asks a day, 哪一年 a year.
    books = shelf({"rules": "某中学关于作业和考试的若干规定（2023年修订）。每学期组织期中、期末两次考试。"})
    assert books.ask("期中考试是几月几号？").abstained
    assert not books.ask("这份考试规定是哪一年修订的？").abstained


def test_quote_window_centres_on_the_value_and_stays_verbatim():
    text = (
        "为切实减轻学生过重作业负担，学校成立了由校长任组长的工作领导小组，制定了详细的实施方案，"
        "明确了各年级各学科的作业要求，坚持每周召开专题会议研究部署，"
        "规定三至六年级书面作业平均每天不超过60分钟，并由班主任统筹协调各科作业总量，每月检查一次。"
    )
    assert len(text) > MAX_QUOTE
    start, quote = window(text, lambda clauses: next(i for i, c in enumerate(clauses) if "60" in c))
    assert "不超过60分钟" in quote and len(quote) <= MAX_QUOTE
    assert text[start:].startswith(quote)


def test_quote_window_without_clauses_cuts_at_the_limit():
    assert window("，" * 3, lambda clauses: 0) == (0, "，" * 3)


SLEEP_AND_HOMEWORK = {
    "sleep": "双休日及节假日不得加大作业量，确保学生每天睡眠时间不少于10小时。",
    "homework": "三至六年级学生书面作业时间平均每天不超过1小时，不得布置机械重复作业。",
}


def test_a_duration_must_measure_the_asked_topic(shelf):
    # SEE: issue 12 "Wrong answers stated as fact": the sleep rule is not a homework time.
    answer = shelf(SLEEP_AND_HOMEWORK).ask("孩子睡眠不足，三年级作业最多写多久？")
    assert not answer.abstained
    assert "10小时" not in answer.text and "1小时（60分钟）" in answer.text
    assert [c.doc_id for c in answer.citations] == ["homework"]


def test_a_sleep_question_still_gets_the_sleep_rule(shelf):
    answer = shelf(SLEEP_AND_HOMEWORK).ask("三年级学生每天睡眠时间不少于多长时间？")
    assert not answer.abstained and "10小时" in answer.text


def test_a_questions_sentences_are_read_once_and_each_read_gets_its_own_prior(shelf, monkeypatch):
    # The ranker, the extractive answerer and the outcome decision read the same chunks for one question.
    books = shelf(HOMEWORK)
    query = books.parser.parse("三年级每天的书面作业不超过多长时间？")
    first = books.reader.read(query, books.hits())
    calls = []
    original = books.reader.features
    monkeypatch.setattr(books.reader, "features", lambda *a: calls.append(a) or original(*a))
    rescored = [Hit(chunk=h.chunk, score=h.score / 2 if i else h.score) for i, h in enumerate(books.hits())]
    again = books.reader.read(query, rescored)
    assert not calls and [s.text for s in again] == [s.text for s in first]
    assert [s.relevance for s in again] == [s.relevance for s in first]
    assert [s.features.prior for s in again] != [s.features.prior for s in first]  # priors follow the hits
    assert (
        books.reader.read(books.parser.parse("五年级作业多久？"), books.hits()) and calls
    )  # a new question reads anew


def test_a_sentence_naming_the_asked_grade_beside_its_value_is_marked(shelf):
    # 初一 is 七年级: the clause "七年级每天不超过70分钟" answers it; a weekend rule for no grade in particular,
    # and the 八年级 clause of another sentence, do not name it beside a value.
    books = shelf(
        {
            "a": "各年级书面作业平均完成时间：七年级每天不超过70分钟，八年级每天不超过80分钟。",
            "b": "周末书面作业总量不超过平日一天的作业量。七年级学生每学期参加一次社会实践，八年级每天不超过80分钟。",
        }
    )
    query = books.parser.parse("我家老大读初一，学校说一天作业总共不能超过多久？")
    by_text = {s.text: s for s in books.reader.read(query, books.hits(), depth=2)}
    grade_rule = next(s for t, s in by_text.items() if "七年级每天" in t)
    weekend = next(s for t, s in by_text.items() if t.startswith("周末"))
    other_clause = next(s for t, s in by_text.items() if t.startswith("七年级学生"))
    assert (grade_rule.grade_named, grade_rule.grade_value) == (1.0, 1.0)
    assert (weekend.grade_named, weekend.grade_value) == (0.0, 0.0)
    assert (other_clause.grade_named, other_clause.grade_value) == (1.0, 0.0)
