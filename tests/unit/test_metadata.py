"""Metadata of a document with no manifest entry, read from its own text."""

from __future__ import annotations

from pathlib import Path

from assistant.metadata import infer_meta, infer_title

SCRAPED = """青禾区人民政府网 欢迎您！ 今天是：2022年9月6日 星期二
当前位置：首页 >> 政务公开 >> 通知公告
关于进一步规范青禾区校外培训机构管理的通知
日期：2022-09-05  作者：区“双减”工作专班办公室  点击数：[4412]
各街道办事处，各校外培训机构：
一、线下培训结束时间不得晚于20:00。
"""


def test_page_chrome_is_never_part_of_the_title():
    # The welcome line is chrome, and the breadcrumb between it and the title keeps them from being joined.
    assert infer_title(SCRAPED) == "关于进一步规范青禾区校外培训机构管理的通知"


def test_a_title_broken_over_two_adjacent_lines_is_joined():
    assert (
        infer_title("星河路小学\n作业管理细则（修订）\n第一条 为减轻学生负担……")
        == "星河路小学作业管理细则（修订）"
    )


def test_lines_apart_are_not_joined():
    text = "星河路小学\n当前位置：首页 > 通知\n作业管理细则（修订）\n第一条 为减轻学生负担……"
    assert infer_title(text) == "作业管理细则（修订）"


def test_a_title_label_is_not_part_of_the_title():
    text = "首页 > 通知公告\n标题：岚溪县教育局关于做好课后服务工作的通知\n各乡镇中心学校："
    assert infer_title(text) == "岚溪县教育局关于做好课后服务工作的通知"
    assert infer_meta(Path("notice.txt"), text).region == "岚溪县"


def test_issuer_and_place_come_from_the_title():
    meta = infer_meta(Path("notice.txt"), SCRAPED)
    assert meta.title == "关于进一步规范青禾区校外培训机构管理的通知"
    assert meta.region == "青禾区"
    assert "青禾区" in meta.aliases


SIGNED = """沐阳路小学作业与考试管理实施细则
一、一、二年级不布置书面家庭作业。
本细则由沐阳路小学教导处负责解释。
湄川市鹤湾区沐阳路小学
2023年8月28日
友情链接：国家中小学智慧教育平台 | 华川市教育局
您是本站第 0082631 位访客
"""


def test_a_place_only_in_the_signature_is_found_with_both_levels():
    meta = infer_meta(Path("rules.txt"), SIGNED)
    assert meta.region == "湄川市"
    assert {"沐阳路小学", "湄川市", "鹤湾区", "湄川", "鹤湾"} <= set(meta.aliases)
    assert "华川市" not in meta.aliases  # a footer link is not a signature


def test_a_sentence_near_the_end_is_not_a_signature():
    text = (
        "关于2024年度校外培训机构规范治理工作情况的报告\n"
        "今年以来，我镇坚持把校外培训治理作为落实“双减”工作的重要抓手。\n"
        + "全年开展联合检查，排查隐形变异培训，引导家长理性选择校外培训。\n"
        * 25
        + "五是完善部门联合执法机制，对拒不整改的机构依法从严处罚，并通过镇政府网站向社会公开曝光。\n"
        "1.联合检查：16次；\n"
        "砚川县杏坪镇人民政府\n"
        "2024年12月18日\n"
    )
    meta = infer_meta(Path("report.txt"), text)
    assert meta.issuer == "砚川县杏坪镇人民政府"
    assert {"砚川县", "杏坪镇", "杏坪"} <= set(meta.aliases)
    assert not any("并通过" in a for a in meta.aliases)


def test_a_place_stem_is_a_name_only_when_the_text_uses_it_as_one():
    title = "开发区教育局关于规范课后服务的通知\n"
    assert "开发区" in infer_meta(Path("a.txt"), title + "开发区各学校：").aliases
    assert "开发" in infer_meta(Path("b.txt"), title + "开发区各学校：").aliases
    body = "开发课程资源，开发校本作业，开发劳动课程。"
    assert "开发" not in infer_meta(Path("c.txt"), title + body).aliases


def test_a_school_goes_by_its_short_names_too():
    text = "汀兰初级中学学生作业管理细则\n汀兰初级中学各年级：\n一、初中书面作业每天不超过90分钟。\n"
    aliases = infer_meta(Path("rules.html"), text).aliases
    assert {"汀兰初级中学", "汀兰初中", "汀兰中学", "汀兰"} <= set(aliases)
    town = "青石镇绿野小学课后服务实施方案\n一、课后服务每天两课时。\n"
    assert {"绿野小学", "绿野", "青石镇"} <= set(infer_meta(Path("plan.txt"), town).aliases)
    # a city and a district before the school's own name: parents say only the last part
    city = "榆港市云杉区桐花路小学作业管理实施细则\n一、三、四年级每天书面作业不超过40分钟。\n"
    assert {"桐花路小学", "云杉区", "榆港市"} <= set(infer_meta(Path("rules.txt"), city).aliases)


def test_a_bare_school_name_the_text_also_uses_as_a_word_is_not_a_name():
    text = "实验小学作业管理细则\n开展实验教学，做好实验记录，保证实验课时。\n"
    aliases = infer_meta(Path("rules.txt"), text).aliases
    assert "实验小学" in aliases and "实验" not in aliases


def test_a_schools_modifier_is_dropped_in_speech_but_not_after_an_ordinal():
    # 柏林实验中学 is 柏林中学 and 柏林 to the parents there (lexicon: school_name_modifiers)
    text = "松溪市柏林实验中学作业管理方案\n一、七年级书面作业每天不超过70分钟。\n"
    assert {"柏林实验中学", "柏林中学", "柏林"} <= set(infer_meta(Path("plan.txt"), text).aliases)
    junior = "柏林实验初级中学课后服务细则\n一、课后服务每天两个时段。\n"
    assert {"柏林初中", "柏林中学"} <= set(infer_meta(Path("rules.txt"), junior).aliases)
    # but 第二实验小学 is not 第二小学, another school
    ordinal = "桃源县第二实验小学作业管理办法\n一、三年级书面作业每天不超过40分钟。\n"
    aliases = set(infer_meta(Path("rules.txt"), ordinal).aliases)
    assert "第二实验小学" in aliases and not {"第二小学", "桃源县第二小学"} & aliases
    # nor is 桃源县实验小学 the county's schools (桃源县小学生…)
    county = set(infer_meta(Path("rules.txt"), ordinal.replace("第二", "")).aliases)
    assert "桃源县实验小学" in county and "桃源县小学" not in county


def test_a_wechat_articles_title_is_its_words_not_the_account_line_or_emoji():
    text = (
        "👆 榕溪区柳塘路小学\n🔔【家校共育】柳塘路小学2024年秋季学期课后服务安排告家长书\n"
        "原创 柳塘路小学教导处 2024年08月30日\n亲爱的家长朋友们：\n"
    )
    assert infer_title(text) == "【家校共育】柳塘路小学2024年秋季学期课后服务安排告家长书"


def test_an_emoji_with_a_variation_selector_or_a_line_of_emoji_alone_is_not_the_title():
    assert (
        infer_title("🌟🌟🌟🌟🌟\n✏️标题：鹭溪小学作业管理告家长书\n各位家长：") == "鹭溪小学作业管理告家长书"
    )
    assert infer_title("🌟🌟🌟🌟🌟\n亲爱的家长朋友们，新学期好！") == "亲爱的家长朋友们，新学期好！"


def test_a_document_number_above_the_title_is_not_part_of_it():
    text = "杏溪镇人民政府\n杏政报〔2023〕41号\n杏溪镇关于2023年度校外培训治理工作情况的报告\n县教育局：\n"
    assert infer_title(text) == "杏溪镇关于2023年度校外培训治理工作情况的报告"
    header = "鹭溪市某中学教务处 溪中教〔2023〕8号\n鹭溪市某中学学生作业管理细则\n（2023年9月修订）\n"
    assert infer_title(header) == "鹭溪市某中学学生作业管理细则"
