"""Every example in data/lexicon.toml holds (the way spaCy tests its language data)."""

import pytest

from assistant.lexicon import lexicon
from assistant.query import formal_words

LEX = lexicon()


def _check(name: str, text: str) -> bool:
    kind, _, key = name.partition(".")
    if kind == "pattern":
        return bool(LEX.pattern(key).search(text))
    if kind == "words":
        return text in LEX.words(key)
    if kind == "table":
        return text in LEX.table(key)
    rules = {
        "question_type": LEX.question_types,
        "grade_pattern": LEX.grade_patterns,
        "enumeration_marker": LEX.enumeration_markers,
    }[kind]
    rule = next(r for r in rules if r.name == key)
    return bool(rule.pattern.search(text))


CASES = [(e.name, text, True) for e in LEX.examples for text in e.positive] + [
    (e.name, text, False) for e in LEX.examples for text in e.negative
]


@pytest.mark.parametrize(("entry", "text", "expected"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_lexicon_example(entry, text, expected):
    assert _check(entry, text) is expected


def test_every_entry_has_examples():
    templated = {"pattern.count_value", "pattern.defines", "pattern.names_parts_of"}
    bare = [e.name for e in LEX.examples if not e.positive and e.name not in templated]
    assert not bare, f"entries without examples: {bare}"


@pytest.mark.parametrize(("text", "expected"), LEX.thesaurus_examples)
def test_thesaurus_example(text, expected):
    assert formal_words(text, LEX.thesaurus) == expected


@pytest.mark.parametrize(
    ("name", "fields", "text", "expected"),
    [
        ("count_value", {"unit": "所"}, "全县共有12所学校", True),
        ("count_value", {"unit": "所"}, "全县共有12名教师", False),
        ("defines", {"term": "堵"}, "“堵”就是加强校外培训治理", True),
        ("defines", {"term": "堵"}, "疏堵结合", False),
        ("names_parts_of", {"term": "142"}, "落实“双减”的“142”原则", True),
    ],
)
def test_templated_patterns(name, fields, text, expected):
    assert bool(LEX.template(name, **fields).search(text)) is expected
