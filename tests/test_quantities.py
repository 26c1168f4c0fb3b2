"""Grades and durations are parsed to values, so 三年级 matches 三至六年级 and 1小时 matches 60分钟."""

import pytest

from assistant.quantities import cn_to_int, find_clock_times, find_durations, parse_grades


@pytest.mark.parametrize(
    ("text", "grades"),
    [
        ("一二年级不布置书面作业", {1, 2}),
        ("三至六年级学生书面作业时间平均每天不超过1小时", {3, 4, 5, 6}),
        ("3、4年级半小时内完成", {3, 4}),
        ("三、四年级学生书面作业时间不超过半个小时", {3, 4}),
        ("五六年级1小时内完成", {5, 6}),
        ("小学三至六年级", {3, 4, 5, 6}),
        ("一二年级不留书面家庭作业，其他年级书面家庭作业每天平均完成时间不超过1小时", {1, 2, 3, 4, 5, 6}),
        ("其他年级书面家庭作业每天平均完成时间不超过1小时", set()),
        ("初中学生每天书面作业", {7, 8, 9}),
        ("初二", {8}),
        ("七年级", {7}),
        ("小学生", {1, 2, 3, 4, 5, 6}),
        ("十年级", set()),
        ("1-2年级不设置作业", {1, 2}),
    ],
)
def test_parse_grades(text, grades):
    assert parse_grades(text) == grades


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("1小时", 60),
        ("一小时", 60),
        ("60 分钟", 60),
        ("半小时", 30),
        ("半个小时", 30),
        ("90分钟", 90),
        ("一个半小时", 90),
        ("1.5小时", 90),
        ("两小时", 120),
    ],
)
def test_durations_compare_by_value(text, minutes):
    [duration] = find_durations(f"每天不超过{text}")
    assert duration.minutes == minutes


def test_clock_times_and_numerals():
    assert find_clock_times("结束时间是夏季晚六点、冬季晚五点半") == ["晚六点", "晚五点半"]
    assert (
        cn_to_int("十二") == 12
        and cn_to_int("九十") == 90
        and cn_to_int("七") == 7
        and cn_to_int("abc") is None
    )
