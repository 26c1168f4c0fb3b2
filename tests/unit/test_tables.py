"""Table rows read as sentences a question can match: the row's key, then each value with its column header."""

from assistant.tables import is_data_table, pipe_tables, row_sentences


def test_header_labels_each_value_and_a_caption_row_stays_a_line():
    rows = [
        ["表1 各年级作业时长", "表1 各年级作业时长"],
        ["年级", "每天书面作业总时长"],
        ["三、四年级", "不超过40分钟。"],
        ["五、六年级", "不超过50分钟；周五减半"],
    ]
    assert row_sentences(rows) == [
        "表1 各年级作业时长",
        "三、四年级，每天书面作业总时长：不超过40分钟。",
        "五、六年级，每天书面作业总时长：不超过50分钟，周五减半。",
    ]


def test_a_first_row_with_numbers_is_data_not_a_header():
    assert row_sentences([["第一时段", "15:40—16:40"], ["第二时段", "16:50—17:50"]]) == [
        "第一时段，15:40—16:40。",
        "第二时段，16:50—17:50。",
    ]


def test_a_page_laid_out_with_a_table_is_not_a_data_table():
    prose = "为进一步落实“双减”要求，规范课后服务管理，切实减轻学生过重作业负担和校外培训负担，结合我校实际和家长需求，经研究，现将有关事项通知如下。"
    assert not is_data_table([[prose, "附件"], ["联系人", "张老师"]])
    assert not is_data_table([["只有一行", "两列"]])


def test_pipe_tables_leave_other_lines_alone():
    text = "放学时间：\n|年级|时间|\n|:--|--:|\n|一年级|17:30|\n这一行 | 不是表格"
    assert pipe_tables(text) == "放学时间：\n一年级，时间：17:30。\n这一行 | 不是表格"


def test_merged_cells_fill_the_grid_and_a_spanning_header_labels_its_columns():
    from bs4 import BeautifulSoup

    from assistant.tables import html_grid

    html = """<table>
    <tr><th rowspan=2>年级</th><th colspan=2>夏季</th><th colspan=2>冬季</th></tr>
    <tr><th>开始</th><th>结束</th><th>开始</th><th>结束</th></tr>
    <tr><td rowspan=2>一、二年级</td><td>16:00</td><td>17:30</td><td>16:00</td><td>17:00</td></tr>
    <tr><td colspan=2>不开展第二时段</td><td colspan=2>不开展</td></tr>
    <tr><td>三至六年级</td><td>16:00</td><td>18:00</td><td>16:00</td><td>17:30</td></tr>
    </table>"""
    grid = html_grid(BeautifulSoup(html, "html.parser").table)
    assert grid[3] == ["一、二年级", "不开展第二时段", "不开展第二时段", "不开展", "不开展"]
    # one line per season: a question asks about one, and a whole row would be too long to quote
    assert row_sentences(grid) == [
        "一、二年级，夏季开始：16:00，结束：17:30。",
        "一、二年级，冬季开始：16:00，结束：17:00。",
        # a value spanning both columns of a season is said once, under the season
        "一、二年级，夏季：不开展第二时段。",
        "一、二年级，冬季：不开展。",
        "三至六年级，夏季开始：16:00，结束：18:00。",
        "三至六年级，冬季开始：16:00，结束：17:30。",
    ]
    # a column under one label in both header rows (学段 spanning them) is said on each line
    rows = [
        ["学段", "年级", "冬季", "冬季", "夏季", "夏季"],
        ["学段", "年级", "第一时段", "第二时段", "第一时段", "第二时段"],
        ["小学", "三、四年级", "15:45—16:45", "16:45—17:30", "16:05—17:05", "17:05—17:50"],
    ]
    assert row_sentences(rows) == [
        "小学，年级：三、四年级，冬季第一时段：15:45—16:45，第二时段：16:45—17:30。",
        "小学，年级：三、四年级，夏季第一时段：16:05—17:05，第二时段：17:05—17:50。",
    ]


def test_a_header_may_name_grades_with_digits_but_holds_no_values():
    rows = [["项目", "1-2年级", "3-6年级"], ["书面作业", "不布置", "不超过60分钟"]]
    assert row_sentences(rows) == ["书面作业，1-2年级：不布置，3-6年级：不超过60分钟。"]


def test_a_pipe_table_of_prose_keeps_its_cells_apart():
    prose = "为进一步落实双减要求，规范课后服务管理，切实减轻学生过重作业负担和校外培训负担，结合我校实际和家长需求，经研究，现将有关事项通知如下"
    text = f"| {prose} | 附件 |\n| 联系人 | 张老师 |"
    assert pipe_tables(text).split("\n") == [f"{prose} 附件", "联系人 张老师"]


def test_one_header_row_with_a_merged_label_keeps_every_data_row_and_equal_neighbours_keep_their_labels():
    from assistant.tables import Spanned

    rows = [
        ["年级", "作业要求", Spanned("作业要求")],
        ["一年级", "不布置书面作业", "可布置口头作业"],
        ["三年级", "不超过60分钟", "周末适当减少"],
    ]
    assert row_sentences(rows) == [
        "一年级，作业要求：不布置书面作业，可布置口头作业。",
        "三年级，作业要求：不超过60分钟，周末适当减少。",
    ]
    rows = [
        ["年级", "课后服务", Spanned("课后服务"), Spanned("课后服务")],
        ["年级", "周一", "周二", "周三"],
        ["一年级", "开放", "开放", "不开放"],
    ]
    assert row_sentences(rows) == ["一年级，课后服务周一：开放，周二：开放，周三：不开放。"]
