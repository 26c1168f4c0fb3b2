"""Cleaning repairs scraped text generically: checked on the real seed files and on made-up pages."""

from assistant.cleaning import clean_text, comparable, normalize_for_match
from tests.conftest import CORPUS


def _clean(name: str) -> str:
    return clean_text((CORPUS / name).read_text(encoding="utf-8"))


def test_page_break_markers_are_removed_and_words_rejoined():
    text = _clean("001_84cda09009ea5ed3.txt")
    assert "减轻义务教育阶段学生作业负担和校外培训负担,是党中央" in text
    assert "负\n" not in text and "\n2、担" not in text
    assert "严格控制每天书面作业总量,初中学生每天书面作业完成时间平均不超过90分钟" in text


def test_site_boilerplate_is_removed():
    assert "由会员分享" not in _clean("001_84cda09009ea5ed3.txt")
    beipiao = _clean("003_d1db9d2204ab93fd.txt")
    assert "更新日期" not in beipiao and "游览" not in beipiao
    assert beipiao.startswith("关于印发北票市义务教育学校校内“双减”三年行动计划")


def test_editor_artefacts_and_teasers_are_removed():
    assert "[bookmark" not in _clean("000_f513dab035cd72a0.txt")
    primary = _clean("002_b89974fea58f4403.txt")
    assert primary.startswith("学校关于2024年小学开展“双减”工作实施方案范文\n一、指导思想")
    assert "..." not in primary.split("\n")[0]


def test_generic_page_break_repair_on_a_made_up_page():
    raw = "《某文件.docx》由会员分享,可在线阅读,更多相关请在某某网上搜索。\n1、第一页的内容讲到课后服务结\n2、束时间不早于下班时间。第二页\n3、继续写作业要求。\n"
    assert clean_text(raw) == "第一页的内容讲到课后服务结束时间不早于下班时间。第二页继续写作业要求。"


def test_real_numbered_lists_are_not_mistaken_for_page_breaks():
    raw = "二、编制作业记录单\n1、校级管理\n学校统一设计模板。\n2、教务管理\n教务处每周检查。\n3、备课组管理\n提前一周设计。"
    assert clean_text(raw) == raw


def test_placeholder_garbage_is_kept_and_anti_copy_noise_dropped():
    raw = "20_年7月，_中央办公厅印发了意见。\n学生的.作业设计，训练的`目的，教师的\\'思考。"
    cleaned = clean_text(raw)
    assert "20_年7月，_中央办公厅" in cleaned
    assert "学生的作业设计，训练的目的，教师的思考" in cleaned


def test_full_and_half_width_are_equal_for_matching_only():
    assert normalize_for_match("（一）严控作业总量，９０分钟") == normalize_for_match(
        "(一)严控作业总量,90分钟"
    )


def test_a_page_in_traditional_characters_is_indexed_in_simplified():
    page = (
        "楓橋鎮人民政府辦公室關於加強校外培訓機構監督管理的通告\n學科類培訓機構不得在國家法定節假日組織培訓。"
    )
    text = clean_text(page)
    assert "枫桥镇人民政府办公室关于加强校外培训机构监督管理的通告" in text
    assert "学科类培训机构不得在国家法定节假日组织培训。" in text


def test_simplified_text_with_a_stray_traditional_word_is_left_alone():
    page = "三至六年级书面作业平均完成时间不超过60分钟，严禁布置惩罚性作业，作业应全批全改。" * 5 + "（轉載）"
    assert clean_text(page) == page


def test_comparison_form_ignores_script_width_and_spaces():
    assert comparable("不得晚於 ２０:００") == comparable("不得晚于20:00")
    assert comparable("“雙減”") == "双减"


def test_hard_wrapped_sentences_are_rejoined_and_page_numbers_dropped():
    raw = (
        "岚溪镇中心小学文件\n岚小〔2022〕3号\n岚溪镇中心小学关于落实“双减”要求\n加强作业管理的实施细则\n"
        "一、作业管理\n"
        "（二）三至六年级每学期只组织1次期末考试，学期中不组织期中考试和月考，各学科单元练习每学期不超过4次且不计入\n"
        "学期成绩。\n"
        "- 2 -\n"
        "（三）严格作业批改。书面作业由教师全批全改，不得要求家长检查、批改作业，不得布置机械重复的抄写作业和\n"
        "惩罚性作业。\n"
        "第 3 页 共 4 页\n"
        "二、确定作业设计原则，建设学科单元作业库\n"
        "组织教师以教研组为单位重新学习作业的功能、分类、设计等理论知识。\n"
        "当前位置：首页 > 通知公告 > 正文，欢迎访问\n"
        "鹭汀区教育局关于进一步规范校外培训的通知\n"
    )
    lines = clean_text(raw).split("\n")
    assert lines[:5] == [
        "岚溪镇中心小学文件",
        "岚小〔2022〕3号",
        "岚溪镇中心小学关于落实“双减”要求",
        "加强作业管理的实施细则",
        "一、作业管理",
    ]
    assert (
        "（二）三至六年级每学期只组织1次期末考试，学期中不组织期中考试和月考，各学科单元练习每学期不超过4次且不计入学期成绩。"
        in lines
    )
    assert any(line.endswith("不得布置机械重复的抄写作业和惩罚性作业。") for line in lines)
    # A heading with commas, a breadcrumb and a title are never glued to what follows; page numbers are gone.
    assert "二、确定作业设计原则，建设学科单元作业库" in lines
    assert lines[-1] == "鹭汀区教育局关于进一步规范校外培训的通知"
    assert not any("- 2 -" in line or "第 3 页" in line for line in lines)


def test_wechat_chrome_goes_and_a_line_ending_on_an_emoji_is_not_glued_to_the_next():
    raw = (
        "点击上方蓝字关注我们\n"
        "请家长在家管好孩子用手机，每天累计不超过1小时，避免孩子沉迷网络游戏。🙅\n"
        "05 😴 睡眠管理：每天睡够10小时\n"
        "小学生每天睡眠时间应达到10小时。\n"
        "长按二维码关注我们\n"
        "阅读 3862 赞 126 在看 47\n"
        "写留言\n"
    )
    assert clean_text(raw).split("\n") == [
        "请家长在家管好孩子用手机，每天累计不超过1小时，避免孩子沉迷网络游戏。🙅",
        "05 😴 睡眠管理：每天睡够10小时",
        "小学生每天睡眠时间应达到10小时。",
    ]


def test_an_emoji_with_its_variation_selector_and_a_phone_number_field_end_their_lines():
    raw = (
        "请家长督促孩子按时睡觉，不玩手机游戏，注意身体✏️\n"
        "周末请带孩子多参加户外运动和体育锻炼，每天不少于两小时。\n"
        "课后服务咨询：教务处副主任 林老师，联系电话：0596-2287360\n"
        "收费及退费咨询：总务处 陈老师，联系电话：0596-2287312\n"
        "（四）畅通监督渠道。县教育局设立作业和考试管理监督电话：0897-6623015（\n"
        "工作日8:00—12:00，14:30—17:30），接受家长和社会各界监督举报。\n"
    )
    assert clean_text(raw).split("\n") == [
        "请家长督促孩子按时睡觉，不玩手机游戏，注意身体✏️",
        "周末请带孩子多参加户外运动和体育锻炼，每天不少于两小时。",
        "课后服务咨询：教务处副主任 林老师，联系电话：0596-2287360",
        "收费及退费咨询：总务处 陈老师，联系电话：0596-2287312",
        # A width cut just after an opening bracket is still a cut.
        "（四）畅通监督渠道。县教育局设立作业和考试管理监督电话：0897-6623015（工作日8:00—12:00，14:30—17:30），接受家长和社会各界监督举报。",
    ]


def test_a_numbered_items_first_line_cut_at_a_comma_is_joined_a_heading_is_not():
    raw = "一、初一每天书面作业不超过60分钟，\n不得布置惩罚性作业。\n二、确定作业设计原则，建设学科单元作业库\n各学科组要统一设计作业。"
    assert clean_text(raw).split("\n") == [
        "一、初一每天书面作业不超过60分钟，不得布置惩罚性作业。",
        "二、确定作业设计原则，建设学科单元作业库",
        "各学科组要统一设计作业。",
    ]
    # cut one or two characters after a comma: a word was cut, no heading ends so
    assert clean_text(
        "1.周一至周五下午放学后开展课后服务，时间为17:15—18:30，前\n半段为自主作业和答疑。"
    ) == ("1.周一至周五下午放学后开展课后服务，时间为17:15—18:30，前半段为自主作业和答疑。")


def test_a_running_header_copied_at_every_page_is_kept_once_and_not_glued_into_a_sentence():
    header = "鹭溪市某中学教务处 溪中教〔2023〕8号"
    raw = (
        f"{header}\n鹭溪市某中学学生作业管理细则\n"
        "1.不得要求家长批改作业或在作业本上检查签字，不得通过手机APP布置需要学生\n"
        f"{header}\n"
        "拍照上传、每日打卡的作业。\n"
        "2.初一每天书面作业不超过60分钟。\n"
        f"{header}\n"
        "3.初二每天书面作业不超过75分钟。\n"
    )
    lines = clean_text(raw).split("\n")
    assert lines.count(header) == 1 and lines[0] == header
    assert (
        "1.不得要求家长批改作业或在作业本上检查签字，不得通过手机APP布置需要学生拍照上传、每日打卡的作业。"
        in lines
    )


def test_repeated_timetable_cells_are_kept_only_a_line_naming_the_document_is_a_running_header():
    raw = "周一\n16:30-17:30 作业辅导\n周二\n16:30-17:30 作业辅导\n周三\n16:30-17:30 作业辅导\n"
    assert clean_text(raw).count("16:30-17:30 作业辅导") == 3
    raw = "一、组织领导\n牵头单位：区教育局\n二、经费保障\n牵头单位：区教育局\n三、督导考核\n牵头单位：区教育局\n"
    assert clean_text(raw).count("牵头单位：区教育局") == 3
