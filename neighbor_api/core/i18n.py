"""The message catalogue: every user-facing text, in Simplified Chinese (default) and English."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache


class Locale(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


DEFAULT_LOCALE = Locale.ZH_CN

MESSAGES: Mapping[str, Mapping[Locale, str]] = {
    # One entry per error code (the default message of that code) ...
    "INVALID_INPUT": {Locale.ZH_CN: "输入有误", Locale.EN: "Invalid input"},
    "INVALID_CREDENTIALS": {
        Locale.ZH_CN: "手机号或密码不正确",
        Locale.EN: "Wrong phone number or password",
    },
    "PHONE_TAKEN": {
        Locale.ZH_CN: "该手机号已注册",
        Locale.EN: "This phone number is already registered",
    },
    "NOT_FOUND": {Locale.ZH_CN: "找不到该对象", Locale.EN: "Not found"},
    # A fallback only: every refusal names who may act (the "*_forbidden" keys below).
    "FORBIDDEN": {Locale.ZH_CN: "您没有权限执行此操作", Locale.EN: "You may not do this"},
    "ALREADY_MEMBER": {
        Locale.ZH_CN: "您已是该社区成员或已提交申请",
        Locale.EN: "You are already a member of this community or have asked to join",
    },
    "INVALID_TRANSITION": {
        Locale.ZH_CN: "当前状态下不能执行此操作",
        Locale.EN: "This cannot be done in the current state",
    },
    "NOT_ELIGIBLE": {
        Locale.ZH_CN: "您不在本次表决的投票范围内",
        Locale.EN: "You may not vote on this",
    },
    "ALREADY_VOTED": {Locale.ZH_CN: "您已投过票", Locale.EN: "You have already voted"},
    "HOUSEHOLD_ALREADY_VOTED": {
        Locale.ZH_CN: "您所在的户已投过票",
        Locale.EN: "Your household has already voted",
    },
    "VOTING_NOT_OPEN": {Locale.ZH_CN: "表决未开放", Locale.EN: "Voting is not open"},
    "VERSION_CONFLICT": {
        Locale.ZH_CN: "内容已被他人修改，请刷新后重试",
        Locale.EN: "Someone else changed this; reload and try again",
    },
    "TASK_FULL": {Locale.ZH_CN: "该任务认领人数已满", Locale.EN: "This task is full"},
    "INSUFFICIENT_POINTS": {
        Locale.ZH_CN: "积分不足（需要 {cost} 积分）",
        Locale.EN: "Not enough points ({cost} needed)",
    },
    "OUT_OF_STOCK": {
        Locale.ZH_CN: "“{name}”已兑完",
        Locale.EN: "“{name}” is out of stock",
    },
    "WIP_LIMIT_REACHED": {
        Locale.ZH_CN: "该列任务数已达上限",
        Locale.EN: "This column has reached its work-in-progress limit",
    },
    "FILE_TOO_LARGE": {
        Locale.ZH_CN: "文件过大（最大 {max_mb} MB）",
        Locale.EN: "File too large (at most {max_mb} MB)",
    },
    "UNSUPPORTED_FILE_TYPE": {
        Locale.ZH_CN: "不支持的文件类型",
        Locale.EN: "Unsupported file type",
    },
    "RATE_LIMITED": {
        Locale.ZH_CN: "尝试过于频繁，请 {seconds} 秒后再试",
        Locale.EN: "Too many attempts; try again in {seconds} seconds",
    },
    "register.rate_limited": {
        Locale.ZH_CN: "此网络注册的账号过多，请 {seconds} 秒后再试",
        Locale.EN: "Too many accounts registered from this network; try again in {seconds} seconds",
    },
    "INVALID_CODE": {
        Locale.ZH_CN: "验证码错误或已失效，请重新获取",
        Locale.EN: "Wrong or expired verification code; request a new one",
    },
    "CODE_NOT_SENT": {
        Locale.ZH_CN: "短信发送失败，请稍后重试",
        Locale.EN: "The text message could not be sent; try again later",
    },
    "POLICY_NOT_ACCEPTED": {
        Locale.ZH_CN: "隐私政策已更新，请先阅读并同意新版本",
        Locale.EN: "The privacy policy has changed; accept the new version first",
    },
    # ... and the specific messages.
    "code.rate_limited": {
        Locale.ZH_CN: "获取验证码过于频繁，请 {seconds} 秒后再试",
        Locale.EN: "Too many verification codes requested; try again in {seconds} seconds",
    },
    "code.format": {
        Locale.ZH_CN: "验证码为 6 位数字",
        Locale.EN: "The verification code has 6 digits",
    },
    "code.too_many_attempts": {
        Locale.ZH_CN: "验证码错误次数过多，请重新获取",
        Locale.EN: "Too many wrong tries; request a new verification code",
    },
    "policy.version_mismatch": {
        Locale.ZH_CN: "请同意当前版本（{version}）的隐私政策",
        Locale.EN: "Accept the current privacy policy (version {version})",
    },
    "password.wrong": {
        Locale.ZH_CN: "当前密码不正确",
        Locale.EN: "The current password is wrong",
    },
    "phone.same": {
        Locale.ZH_CN: "新手机号与当前手机号相同",
        Locale.EN: "The new number is your current number",
    },
    "account.not_found": {
        Locale.ZH_CN: "该手机号未注册",
        Locale.EN: "No account has this phone number",
    },
    "profile.nothing": {
        Locale.ZH_CN: "请至少修改一项",
        Locale.EN: "Change at least one thing",
    },
    "phone.invalid": {
        Locale.ZH_CN: "请输入有效的中国大陆手机号",
        Locale.EN: "Enter a valid mainland China mobile number",
    },
    "password.too_short": {
        Locale.ZH_CN: "密码至少 {min} 位",
        Locale.EN: "The password must have at least {min} characters",
    },
    "password.too_long": {
        Locale.ZH_CN: "密码最多 {max} 位",
        Locale.EN: "The password must have at most {max} characters",
    },
    "text.required": {Locale.ZH_CN: "此项不能为空", Locale.EN: "This field is required"},
    "text.too_long": {
        Locale.ZH_CN: "最多 {max} 个字",
        Locale.EN: "At most {max} characters",
    },
    "number.positive": {Locale.ZH_CN: "必须大于 0", Locale.EN: "Must be greater than 0"},
    "id.invalid": {Locale.ZH_CN: "不是有效的 ID", Locale.EN: "Not a valid id"},
    "refresh_token.invalid": {
        Locale.ZH_CN: "登录已失效，请重新登录",
        Locale.EN: "Your session has ended; log in again",
    },
    "community.not_found": {Locale.ZH_CN: "找不到该社区", Locale.EN: "Community not found"},
    "membership.not_found": {
        Locale.ZH_CN: "找不到该入住申请",
        Locale.EN: "Membership request not found",
    },
    "membership.already_decided": {
        Locale.ZH_CN: "该申请已处理",
        Locale.EN: "This request has already been decided",
    },
    "roles.not_grantable": {
        Locale.ZH_CN: "不能授予该角色",
        Locale.EN: "This role cannot be granted here",
    },
    "report.not_found": {Locale.ZH_CN: "找不到该诉求", Locale.EN: "Report not found"},
    "report.invalid_transition": {
        Locale.ZH_CN: "该诉求当前状态下不能执行此操作",
        Locale.EN: "The report's current status does not allow this",
    },
    "report.location": {
        Locale.ZH_CN: "请在地图上选择有效的位置",
        Locale.EN: "Pick a valid location on the map",
    },
    "report.answer_unknown": {
        Locale.ZH_CN: "该类别没有问题「{key}」",
        Locale.EN: 'This category has no question "{key}"',
    },
    "report.answer_repeated": {
        Locale.ZH_CN: "问题「{key}」回答了不止一次",
        Locale.EN: 'The question "{key}" is answered more than once',
    },
    "report.answers_too_many": {
        Locale.ZH_CN: "回答最多 {max} 条",
        Locale.EN: "At most {max} answers",
    },
    "report.answer_required": {
        Locale.ZH_CN: "请回答：{question}",
        Locale.EN: "Please answer: {question}",
    },
    "report.answer_number": {Locale.ZH_CN: "请填写数字", Locale.EN: "Enter a number"},
    "report.answer_boolean": {
        Locale.ZH_CN: "请回答 true 或 false",
        Locale.EN: "Answer true or false",
    },
    "report.answer_choice": {
        Locale.ZH_CN: "请从以下选项中选择：{options}",
        Locale.EN: "Choose one of: {options}",
    },
    "report.duplicate_self": {
        Locale.ZH_CN: "诉求不能标记为自身的重复",
        Locale.EN: "A report cannot duplicate itself",
    },
    "report.duplicate_other_community": {
        Locale.ZH_CN: "只能标记为同一社区诉求的重复",
        Locale.EN: "The original must be a report of the same community",
    },
    "report.duplicate_cycle": {
        Locale.ZH_CN: "该诉求已是本诉求的重复，不能互相标记",
        Locale.EN: "That report is already a duplicate of this one: duplicates cannot form a cycle",
    },
    "report.duplicate_of_closed": {
        Locale.ZH_CN: "不能标记为已撤回或不予受理诉求的重复",
        Locale.EN: "The original cannot be a withdrawn or rejected report",
    },
    "report.not_member": {
        Locale.ZH_CN: "只有本社区成员可以提交诉求",
        Locale.EN: "Only members of the community can report here",
    },
    "report.on_behalf_forbidden": {
        Locale.ZH_CN: "只有网格员和社区工作者可以代居民提交",
        Locale.EN: "Only grid and community workers may file for a resident",
    },
    "report.resident_not_found": {
        Locale.ZH_CN: "该居民不是本社区成员",
        Locale.EN: "This resident is not a member of the community",
    },
    "report.assignee_not_worker": {
        Locale.ZH_CN: "只能指派给本社区的网格员或社区工作者",
        Locale.EN: "Assign to a grid or community worker of the community",
    },
    "report.due_in_past": {
        Locale.ZH_CN: "截止时间必须晚于现在",
        Locale.EN: "The due time must be in the future",
    },
    "report.due_without_offset": {
        Locale.ZH_CN: "截止时间须带时区偏移，例如 2026-12-01T18:00:00+08:00",
        Locale.EN: "The due time needs a UTC offset, e.g. 2026-12-01T18:00:00+08:00",
    },
    "patrol.log_forbidden": {
        Locale.ZH_CN: "只有该网格的网格员可以登记巡查",
        Locale.EN: "Only a grid worker of this grid may log a patrol",
    },
    "patrol.time_without_offset": {
        Locale.ZH_CN: "巡查时间须带时区偏移，例如 2026-12-01T09:00:00+08:00",
        Locale.EN: "The patrol's times need a UTC offset, e.g. 2026-12-01T09:00:00+08:00",
    },
    "patrol.ended_before_started": {
        Locale.ZH_CN: "巡查结束时间须晚于开始时间",
        Locale.EN: "The patrol must end after it started",
    },
    "patrol.too_long": {
        Locale.ZH_CN: "一次巡查不能超过 {hours} 小时",
        Locale.EN: "A patrol cannot last more than {hours} hours",
    },
    "patrol.in_future": {
        Locale.ZH_CN: "巡查结束时间不能晚于现在",
        Locale.EN: "The patrol cannot end in the future",
    },
    "patrol.too_old": {
        Locale.ZH_CN: "只能登记 {days} 天内的巡查",
        Locale.EN: "Only patrols of the last {days} days can be logged",
    },
    "patrol.track_too_short": {
        Locale.ZH_CN: "巡查轨迹至少需要 2 个点",
        Locale.EN: "A patrol track needs at least 2 points",
    },
    "patrol.track_too_long": {
        Locale.ZH_CN: "巡查轨迹最多 {max} 个点（收到 {count} 个），请在设备上抽稀后再提交",
        Locale.EN: "A patrol track has at most {max} points ({count} sent); thin it on the "
        "device and send it again",
    },
    "patrol.point_off_globe": {
        Locale.ZH_CN: "巡查轨迹第 {index} 个点的坐标无效",
        Locale.EN: "Point {index} of the track is not a valid coordinate",
    },
    "patrol.point_too_far": {
        Locale.ZH_CN: "巡查轨迹第 {index} 个点距离{community}超过 {km} 公里，请检查定位或网格",
        Locale.EN: "Point {index} of the track is more than {km} km from {community}; check "
        "the location or the grid",
    },
    "patrol.too_many_findings": {
        Locale.ZH_CN: "一次巡查最多关联 {max} 条诉求",
        Locale.EN: "A patrol names at most {max} reports",
    },
    "patrol.finding_not_yours": {
        Locale.ZH_CN: "只能关联您在本社区提交的诉求",
        Locale.EN: "Only reports you filed in this community can be named",
    },
    "stats.period_without_offset": {
        Locale.ZH_CN: "统计时间须带时区偏移，例如 2026-11-01T00:00:00+08:00",
        Locale.EN: "The period's times need a UTC offset, e.g. 2026-11-01T00:00:00+08:00",
    },
    "stats.series_too_long": {
        Locale.ZH_CN: "统计序列最多 {max} 个时间段，请缩短统计时间",
        Locale.EN: "A series has at most {max} intervals; shorten the period",
    },
    "stats.period_reversed": {
        Locale.ZH_CN: "统计截止时间须晚于开始时间",
        Locale.EN: "The end of the period must be after its start",
    },
    "report.rating": {Locale.ZH_CN: "评分须为 1 到 5", Locale.EN: "The rating must be 1 to 5"},
    "report.radius": {
        Locale.ZH_CN: "搜索半径须为 1 到 {max} 米",
        Locale.EN: "The radius must be 1 to {max} metres",
    },
    "report.endorse_forbidden": {
        Locale.ZH_CN: "只能为本社区邻居的诉求点“我也遇到”",
        Locale.EN: "You can only endorse a neighbour's report in your community",
    },
    "upload.quota_files": {
        Locale.ZH_CN: "今天上传的文件已达上限（{max} 个），请 {seconds} 秒后再试",
        Locale.EN: "You have uploaded {max} files today, the most allowed; "
        "try again in {seconds} seconds",
    },
    "upload.quota_bytes": {
        Locale.ZH_CN: "今天上传的文件总大小将超过上限（{max_mb} MB），请 {seconds} 秒后再试",
        Locale.EN: "This upload would take today's uploads over {max_mb} MB; "
        "try again in {seconds} seconds",
    },
    "attachment.not_found": {Locale.ZH_CN: "找不到该附件", Locale.EN: "Attachment not found"},
    "attachment.already_attached": {
        Locale.ZH_CN: "该附件已被使用",
        Locale.EN: "This attachment is already in use",
    },
    "attachment.not_an_image": {
        Locale.ZH_CN: "此处只能使用图片",
        Locale.EN: "Only images can be used here",
    },
    "attachment.too_many": {
        Locale.ZH_CN: "最多 {max} 个附件",
        Locale.EN: "At most {max} attachments",
    },
    "attachment.link_invalid": {
        Locale.ZH_CN: "下载链接无效或已过期",
        Locale.EN: "The download link is invalid or has expired",
    },
    "attachment.unreadable": {
        Locale.ZH_CN: "无法读取该图片（文件已损坏或与其格式不符）",
        Locale.EN: "The image could not be read (damaged, or not the format it claims)",
    },
    "attachment.heic_unsupported": {
        Locale.ZH_CN: "暂不支持 HEIC 格式的照片，请以 JPEG 格式上传"
        "（iPhone：设置 > 相机 > 格式 > 兼容性最佳）",
        Locale.EN: "HEIC photos are not supported yet; upload a JPEG (iPhone: Settings > "
        "Camera > Formats > Most Compatible)",
    },
    "attachment.too_many_pixels": {
        Locale.ZH_CN: "图片像素过多（最多 {max_megapixels} 百万像素）",
        Locale.EN: "The image has too many pixels (at most {max_megapixels} megapixels)",
    },
    "user.deleted_name": {Locale.ZH_CN: "已注销用户", Locale.EN: "Deleted user"},
    "account.already_deleted": {
        Locale.ZH_CN: "该账号已注销",
        Locale.EN: "This account has already been deleted",
    },
    "export.link_malformed": {
        Locale.ZH_CN: "导出链接不完整，请在应用中重新导出",
        Locale.EN: "The export link is incomplete; export again from the app",
    },
    "export.link_invalid": {
        Locale.ZH_CN: "导出链接无效（已被修改），请在应用中重新导出",
        Locale.EN: "The export link is not valid (it was altered); export again from the app",
    },
    "export.link_expired": {
        Locale.ZH_CN: "导出链接已过期（有效期几分钟），请在应用中重新导出",
        Locale.EN: "The export link has expired (it lasts a few minutes); export again "
        "from the app",
    },
    "export.account_gone": {
        Locale.ZH_CN: "该账号已注销，没有可导出的数据",
        Locale.EN: "This account has been deleted; there is nothing to export",
    },
    "membership.leave_forbidden": {
        Locale.ZH_CN: "只有成员本人可以退出社区",
        Locale.EN: "Only the member themself can leave the community",
    },
    "membership.not_open": {
        Locale.ZH_CN: "该成员身份已结束",
        Locale.EN: "This membership has already ended",
    },
    "membership.not_active": {
        Locale.ZH_CN: "只能修改有效的成员身份",
        Locale.EN: "Only an active membership can be changed",
    },
    "membership.update_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以修改成员信息",
        Locale.EN: "Only the community's staff can change a membership",
    },
    "membership.floor_area_range": {
        Locale.ZH_CN: "面积须在 0 到 {max} 平方米之间",
        Locale.EN: "The floor area must be between 0 and {max} m²",
    },
    "membership.building_not_in_community": {
        Locale.ZH_CN: "该楼栋不在本社区",
        Locale.EN: "This building is not in the community",
    },
    "membership.grid_not_in_community": {
        Locale.ZH_CN: "该网格不在本社区",
        Locale.EN: "This grid is not in the community",
    },
    "membership.building_not_in_grid": {
        Locale.ZH_CN: "该楼栋不在所选网格内",
        Locale.EN: "This building is not in the chosen grid",
    },
    "membership.register_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以导入业主名册",
        Locale.EN: "Only the community's staff can import the owners' register",
    },
    "register.not_a_member": {
        Locale.ZH_CN: "该手机号不是本社区的在册成员",
        Locale.EN: "No active member of the community has this phone number",
    },
    "register.household": {
        Locale.ZH_CN: "户号不能为空，且不超过 40 个字符",
        Locale.EN: "The household code must be present and at most 40 characters",
    },
    "register.duplicate_household": {
        Locale.ZH_CN: "户号与第 {first} 行重复",
        Locale.EN: "The same household as line {first}",
    },
    "register.duplicate_phone": {
        Locale.ZH_CN: "手机号与第 {first} 行重复",
        Locale.EN: "The same phone number as line {first}",
    },
    "register.floor_area": {
        Locale.ZH_CN: "面积须为大于 0、不超过 {max} 的数字（平方米）",
        Locale.EN: "The floor area must be a number above 0 and at most {max} (m²)",
    },
    "register.header": {
        Locale.ZH_CN: "第一行须为表头：household_code,phone,floor_area（或 户号,手机号,面积）",
        Locale.EN: "The first row must be the header: household_code,phone,floor_area "
        "(or 户号,手机号,面积)",
    },
    "register.not_utf8": {
        Locale.ZH_CN: "文件须为 UTF-8 编码的 CSV",
        Locale.EN: "The file must be a UTF-8 CSV",
    },
    "register.not_csv": {
        Locale.ZH_CN: "无法按 CSV 读取该文件",
        Locale.EN: "The file cannot be read as CSV",
    },
    "register.empty": {
        Locale.ZH_CN: "名册中没有数据行",
        Locale.EN: "The register has no rows",
    },
    "register.too_many_rows": {
        Locale.ZH_CN: "名册最多 {max} 行",
        Locale.EN: "A register has at most {max} rows",
    },
    "council.not_found": {Locale.ZH_CN: "找不到该议事组织", Locale.EN: "Council not found"},
    "council.not_a_resident": {
        Locale.ZH_CN: "只能添加本社区的在册居民",
        Locale.EN: "Only active members of the community can join its councils",
    },
    "proposal.not_found": {Locale.ZH_CN: "找不到该议题", Locale.EN: "Proposal not found"},
    "proposal.invalid_transition": {
        Locale.ZH_CN: "该议题当前状态下不能执行此操作",
        Locale.EN: "The proposal's current status does not allow this",
    },
    "proposal.comments_closed": {
        Locale.ZH_CN: "只能在议题征集、协商讨论和表决期间发表意见",
        Locale.EN: "Comments are open while a proposal is suggested, deliberated or voted on",
    },
    "proposal.options": {
        Locale.ZH_CN: "请提供 2 到 {max} 个互不相同的选项",
        Locale.EN: "Give 2 to {max} distinct options",
    },
    "proposal.options_not_allowed": {
        Locale.ZH_CN: "赞成/反对/弃权表决的选项由系统生成，请勿填写",
        Locale.EN: "Yes/no/abstain votes get their options from the server; send none",
    },
    "proposal.max_choices": {
        Locale.ZH_CN: "最多可选数须为 1 到 {max}",
        Locale.EN: "The maximum number of choices must be 1 to {max}",
    },
    "proposal.owners_yes_no": {
        Locale.ZH_CN: "业主共同决定须采用赞成/反对/弃权表决",
        Locale.EN: "Owners' decisions are voted yes/no/abstain",
    },
    "proposal.owners_fixed_rule": {
        Locale.ZH_CN: "业主共同决定按《民法典》第二百七十八条计票，不能另设比例",
        Locale.EN: "Owners' decisions follow art. 278 of the Civil Code; no other rule can be set",
    },
    "task.proposal_not_passed": {
        Locale.ZH_CN: "只有表决通过的议题才能生成任务",
        Locale.EN: "Only a proposal that passed can spawn tasks",
    },
    "proposal.percent": {
        Locale.ZH_CN: "百分比须为 0 到 100",
        Locale.EN: "Must be 0 to 100 percent",
    },
    "proposal.closes_in_past": {
        Locale.ZH_CN: "请设置一个将来的截止时间（含时区）",
        Locale.EN: "Give a closing time in the future, with its UTC offset",
    },
    "vote.choices.YES_NO_ABSTAIN": {
        Locale.ZH_CN: "请在赞成、反对、弃权中选择一项",
        Locale.EN: "Choose one of yes, no or abstain",
    },
    "vote.choices.SINGLE_CHOICE": {
        Locale.ZH_CN: "请选择本议题的一个选项",
        Locale.EN: "Choose one of this proposal's options",
    },
    "vote.choices.MULTIPLE_CHOICE": {
        Locale.ZH_CN: "请选择本议题的 1 到 {max} 个不同选项",
        Locale.EN: "Choose 1 to {max} different options of this proposal",
    },
    "proposal.owners_council": {
        Locale.ZH_CN: "业主共同决定须由业主委员会发起；未成立业主委员会的，由社区工作人员组织",
        Locale.EN: (
            "Owners' votes are run by the owners' committee, or by community staff where "
            "there is none"
        ),
    },
    "proposal.scope_electorate": {
        Locale.ZH_CN: "只有业主表决或按户表决可以限定楼栋",
        Locale.EN: "Only owners' or households' votes can be limited to buildings",
    },
    "proposal.scope_too_many": {
        Locale.ZH_CN: "最多限定 {max} 栋楼",
        Locale.EN: "At most {max} buildings",
    },
    "proposal.scope_building": {
        Locale.ZH_CN: "请选择本社区的楼栋",
        Locale.EN: "Choose a building of this community",
    },
    "proposal.min_voting_period": {
        Locale.ZH_CN: "投票期至少 {hours} 小时，请设置更晚的截止时间",
        Locale.EN: "Voting must stay open at least {hours} hours; choose a later closing time",
    },
    "proposal.close_early": {
        Locale.ZH_CN: "尚有选民未投票，提前结束投票须说明理由",
        Locale.EN: "Some electors have not voted: give a reason to close voting early",
    },
    # Decisions (councils/decision.py): the rules that decided a vote, in words.
    "decision.rule.owners_area": {
        Locale.ZH_CN: "参与表决的专有部分面积（占全体业主专有部分面积）",
        Locale.EN: "Floor area taking part (of all owners' floor area)",
    },
    "decision.rule.owners_count": {
        Locale.ZH_CN: "参与表决的业主人数（占全体业主人数）",
        Locale.EN: "Owners taking part (of all owners)",
    },
    "decision.rule.approving_area": {
        Locale.ZH_CN: "同意的专有部分面积（占参与表决的专有部分面积）",
        Locale.EN: "Floor area approving (of the floor area taking part)",
    },
    "decision.rule.approving_owners": {
        Locale.ZH_CN: "同意的业主人数（占参与表决的业主人数）",
        Locale.EN: "Owners approving (of the owners taking part)",
    },
    "decision.rule.quorum": {
        Locale.ZH_CN: "参与投票人数（占选民）",
        Locale.EN: "Turnout (of the electorate)",
    },
    "decision.rule.approval": {
        Locale.ZH_CN: "赞成票（占赞成与反对票之和）",
        Locale.EN: "Yes votes (of yes and no votes)",
    },
    "decision.rule.yes_no_tie": {
        Locale.ZH_CN: "赞成票与反对票不相等",
        Locale.EN: "Yes and no votes differ",
    },
    "decision.rule.clear_winner": {
        Locale.ZH_CN: "胜出选项无并列",
        Locale.EN: "No tie for the winning places",
    },
    "decision.required.owners_area": {
        Locale.ZH_CN: "{operator} {fraction}",
        Locale.EN: "{operator} {fraction}",
    },
    "decision.required.owners_count": {
        Locale.ZH_CN: "{operator} {fraction}",
        Locale.EN: "{operator} {fraction}",
    },
    "decision.required.approving_area": {
        Locale.ZH_CN: "{operator} 参与表决的 {fraction}",
        Locale.EN: "{operator} {fraction} of those taking part",
    },
    "decision.required.approving_owners": {
        Locale.ZH_CN: "{operator} 参与表决的 {fraction}",
        Locale.EN: "{operator} {fraction} of those taking part",
    },
    "decision.required.quorum": {
        Locale.ZH_CN: "{operator} {fraction}",
        Locale.EN: "{operator} {fraction}",
    },
    "decision.required.approval": {
        Locale.ZH_CN: "{operator} {fraction}",
        Locale.EN: "{operator} {fraction}",
    },
    "decision.required.yes_no_tie": {
        Locale.ZH_CN: "赞成 ≠ 反对",
        Locale.EN: "yes ≠ no",
    },
    "decision.required.clear_winner": {
        Locale.ZH_CN: "前 {seats} 名无并列",
        Locale.EN: "No tie for the top {seats}",
    },
    "decision.achieved.figures": {
        Locale.ZH_CN: "{percent}（{part} / {whole}）",
        Locale.EN: "{percent} ({part} of {whole})",
    },
    "decision.achieved.yes_no": {
        Locale.ZH_CN: "赞成 {yes}，反对 {no}",
        Locale.EN: "yes {yes}, no {no}",
    },
    "decision.achieved.clear": {Locale.ZH_CN: "无并列", Locale.EN: "no tie"},
    "decision.achieved.tied": {
        Locale.ZH_CN: "{tied} 个选项票数并列",
        Locale.EN: "{tied} options tied",
    },
    "decision.unit.people": {Locale.ZH_CN: "{value} 人", Locale.EN: "{value}"},
    "decision.unit.votes": {Locale.ZH_CN: "{value} 票", Locale.EN: "{value} votes"},
    "decision.unit.area": {Locale.ZH_CN: "{value} 平方米", Locale.EN: "{value} m²"},
    "decision.reason.passed": {
        Locale.ZH_CN: "各项规则均已满足，议题通过。",
        Locale.EN: "Every rule was met, so the proposal passed.",
    },
    "decision.reason.winners": {
        Locale.ZH_CN: "各项规则均已满足，{options}得票最多，胜出。",
        Locale.EN: "Every rule was met; {options} won with the most votes.",
    },
    "decision.reason.tied": {
        Locale.ZH_CN: "{options}票数并列，无法确定胜出选项。",
        Locale.EN: "{options} tied, so no winner can be named for their place.",
    },
    "decision.reason.yes_no_tie": {
        Locale.ZH_CN: "赞成票与反对票相同（各 {votes} 票），议题未通过。",
        Locale.EN: "Yes and no votes were equal ({votes} each), so the proposal was rejected.",
    },
    "decision.reason.no_votes": {
        Locale.ZH_CN: "没有选项获得选票，议题未通过。",
        Locale.EN: "No option received a vote, so the proposal was rejected.",
    },
    "decision.reason.NO_QUORUM": {
        Locale.ZH_CN: "{rule}为 {achieved}，未达到 {required}，未形成决议。",
        Locale.EN: "{rule} was {achieved}, short of {required}, so there is no decision.",
    },
    "decision.reason.REJECTED": {
        Locale.ZH_CN: "{rule}为 {achieved}，未达到 {required}，议题未通过。",
        Locale.EN: "{rule} was {achieved}, short of {required}, so the proposal was rejected.",
    },
    "decision.reason.CANCELLED": {
        Locale.ZH_CN: "投票已取消，不形成决议：{reason}",
        Locale.EN: "Voting was cancelled without a decision: {reason}",
    },
    "decision.disclosure.small": {
        Locale.ZH_CN: (
            "本次仅 {voted} 人参与投票（不超过 {small} 人），公布的合计可能推算出个人的选择。"
        ),
        Locale.EN: (
            "Only {voted} voted (at most {small}): the published totals may tell who chose what."
        ),
    },
    "decision.disclosure.unanimous": {
        Locale.ZH_CN: "全体参与者选择了同一选项，合计即每个人的选择。",
        Locale.EN: "Everyone who voted chose the same option: the totals are each person's choice.",
    },
    "vote.yes": {Locale.ZH_CN: "赞成", Locale.EN: "Yes"},
    "vote.no": {Locale.ZH_CN: "反对", Locale.EN: "No"},
    "vote.abstain": {Locale.ZH_CN: "弃权", Locale.EN: "Abstain"},
    # Proxies, paper ballots and residents' suggestions (councils/ballots.py, suggestions.py).
    "proxy.self": {
        Locale.ZH_CN: "不能委托自己或与您共用一票的同户成员",
        Locale.EN: "You cannot authorise yourself or a housemate who shares your vote",
    },
    "proxy.not_a_member": {
        Locale.ZH_CN: "受托人须为本社区的在册成员",
        Locale.EN: "The proxy must be an active member of the community",
    },
    "proxy.chain": {
        Locale.ZH_CN: "受托人已将自己的投票委托他人，不能再受托（不允许转委托）",
        Locale.EN: "This person has given their own vote to a proxy and cannot act as one",
    },
    "proxy.holds_proxies": {
        Locale.ZH_CN: "您已受他人委托，不能再将投票委托他人（不允许转委托）",
        Locale.EN: "You hold others' proxies and cannot give your vote to a proxy",
    },
    "proxy.already_authorized": {
        Locale.ZH_CN: "您已为本议题委托了受托人，如需更换请先撤销",
        Locale.EN: "You have a proxy for this proposal; revoke it first to choose another",
    },
    "proxy.too_many": {
        Locale.ZH_CN: "每人在一个议题上最多接受 {max} 份委托",
        Locale.EN: "One person can hold at most {max} proxies on a proposal",
    },
    "proxy.not_found": {Locale.ZH_CN: "找不到该委托", Locale.EN: "Proxy not found"},
    "proxy.used": {
        Locale.ZH_CN: "受托人已代为投票，委托不能再撤销",
        Locale.EN: "The proxy has voted; the authorisation can no longer be revoked",
    },
    "proxy.not_authorized": {
        Locale.ZH_CN: "该选民未委托您代为投票",
        Locale.EN: "This elector has not authorised you to vote for them",
    },
    "suggestion.forbidden": {
        Locale.ZH_CN: "只有本社区的在册居民可以提出议题建议",
        Locale.EN: "Only active residents of the community can suggest a matter",
    },
    "suggestion.co_sign_forbidden": {
        Locale.ZH_CN: "只有本社区的在册居民可以联署议题建议",
        Locale.EN: "Only active residents of the community can co-sign a suggestion",
    },
    "suggestion.already_co_signed": {
        Locale.ZH_CN: "您已联署过该议题建议",
        Locale.EN: "You have already co-signed this suggestion",
    },
    "suggestion.not_suggested": {
        Locale.ZH_CN: "该议题已不在征集联署阶段",
        Locale.EN: "This proposal is no longer gathering co-signatures",
    },
    "suggestion.not_enough": {
        Locale.ZH_CN: "联署人数不足（{count}/{needed}），暂不能采纳",
        Locale.EN: "Not enough co-signatures yet ({count} of {needed}) to accept it",
    },
    "suggestion.decide_forbidden": {
        Locale.ZH_CN: "只有议事组织的主席或社区工作人员可以采纳或不采纳议题建议",
        Locale.EN: "Only the chair or community staff can accept or decline a suggestion",
    },
    "vote.paper_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以录入纸质选票",
        Locale.EN: "Only community staff can record a paper ballot",
    },
    "vote.paper_not_eligible": {
        Locale.ZH_CN: "该居民不在本次表决的投票范围内",
        Locale.EN: "This person may not vote on this proposal",
    },
    "vote.paper_already_voted": {
        Locale.ZH_CN: "该选民已投过票（在应用中、委托或纸质）",
        Locale.EN: "This elector has already voted (in the app, by proxy or on paper)",
    },
    # Task boards (boards/).
    "board.not_found": {Locale.ZH_CN: "找不到该任务看板", Locale.EN: "Board not found"},
    "board.wip_limit": {
        Locale.ZH_CN: "在制品上限须为 1 到 {max}",
        Locale.EN: "The work-in-progress limit must be 1 to {max}",
    },
    "board.too_many_columns": {
        Locale.ZH_CN: "最多 {max} 列",
        Locale.EN: "At most {max} columns",
    },
    "board.column_kinds": {
        Locale.ZH_CN: "看板须各有至少一列“待办”“进行中”“待验收”“已完成”",
        Locale.EN: "A board needs at least one column of each kind: TODO, DOING, REVIEW, DONE",
    },
    "column.not_found": {
        Locale.ZH_CN: "该看板没有这一列",
        Locale.EN: "No such column on the board",
    },
    "task.not_found": {Locale.ZH_CN: "找不到该任务", Locale.EN: "Task not found"},
    "task.after_not_found": {
        Locale.ZH_CN: "目标列中没有这张任务卡",
        Locale.EN: "That task is not in the target column",
    },
    "task.invalid_transition": {
        Locale.ZH_CN: "该任务当前状态下不能执行此操作",
        Locale.EN: "The task's current status does not allow this",
    },
    "task.done_by_approval": {
        Locale.ZH_CN: "任务只能经验收进入“已完成”，且不能移出",
        Locale.EN: "Tasks reach DONE only by approval, and stay there",
    },
    "task.move_forbidden": {
        Locale.ZH_CN: "只有认领人或社区工作人员可以移动任务卡",
        Locale.EN: "Only someone who claimed a task or community staff can move it",
    },
    "task.create_forbidden": {
        Locale.ZH_CN: "只有议事组织成员或社区工作人员可以发布任务",
        Locale.EN: "Only council members or community staff can create a task",
    },
    "task.column_not_open": {
        Locale.ZH_CN: "新任务只能放在“待办”或“进行中”列",
        Locale.EN: "A new task goes in a TODO or DOING column",
    },
    "task.wip_limit": {
        Locale.ZH_CN: "“{column}”列最多 {limit} 项任务",
        Locale.EN: "The column “{column}” holds at most {limit} tasks",
    },
    "task.too_many_labels": {
        Locale.ZH_CN: "最多 {max} 个标签",
        Locale.EN: "At most {max} labels",
    },
    "task.point_reward": {
        Locale.ZH_CN: "积分须为 0 到 {max}",
        Locale.EN: "The point reward must be 0 to {max}",
    },
    "reward.cost": {
        Locale.ZH_CN: "所需积分须为 1 到 {max}",
        Locale.EN: "The cost must be 1 to {max} points",
    },
    "reward.stock": {
        Locale.ZH_CN: "库存须为 {min} 到 {max}",
        Locale.EN: "The stock must be {min} to {max}",
    },
    "reward.manage_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以管理爱心超市的商品",
        Locale.EN: "Only community staff can manage the rewards",
    },
    "reward.not_found": {Locale.ZH_CN: "找不到该商品", Locale.EN: "Reward not found"},
    "reward.withdrawn": {
        Locale.ZH_CN: "该商品已下架",
        Locale.EN: "This reward is no longer offered",
    },
    "redemption.not_found": {
        Locale.ZH_CN: "找不到该兑换记录",
        Locale.EN: "Redemption not found",
    },
    "redemption.fulfil_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以确认领取",
        Locale.EN: "Only community staff can hand a reward over",
    },
    "redemption.not_pending": {
        Locale.ZH_CN: "该兑换已领取或已取消",
        Locale.EN: "This redemption was already handed over or cancelled",
    },
    "task.review_by_submission": {
        Locale.ZH_CN: "任务只能通过提交成果进入“待验收”",
        Locale.EN: "Tasks reach review only when the work is submitted",
    },
    "task.absent_not_assignee": {
        Locale.ZH_CN: "缺席人员必须是该任务的认领人",
        Locale.EN: "Absent people must be assignees of the task",
    },
    "task.capacity_below_assignees": {
        Locale.ZH_CN: "已有 {count} 人认领，人数上限不能更少",
        Locale.EN: "{count} people have claimed it; the capacity cannot be lower",
    },
    "task.capacity": {
        Locale.ZH_CN: "认领人数须为 1 到 {max}",
        Locale.EN: "The capacity must be 1 to {max}",
    },
    "place.boundary_points": {
        Locale.ZH_CN: "{name}的边界须为 4 到 1000 个有效经纬度点",
        Locale.EN: "The boundary of {name} needs 4 to 1,000 valid points",
    },
    "place.boundary_not_closed": {
        Locale.ZH_CN: "{name}的边界未闭合：首尾两点须相同",
        Locale.EN: "The boundary of {name} is not closed: its first and last points must match",
    },
    "place.boundary_self_intersecting": {
        Locale.ZH_CN: "{name}的边界自相交",
        Locale.EN: "The boundary of {name} crosses itself",
    },
    "report.outside_community": {
        Locale.ZH_CN: "该位置不在{community}辖区内，请在本社区范围内选点",
        Locale.EN: "This location is outside {community}; pick a point within the community",
    },
    # FORBIDDEN: one message per rule, saying who may (the rule's key names it).
    "place.create_forbidden": {
        Locale.ZH_CN: "只有上级地区的工作人员可以在其下添加地区",
        Locale.EN: "Only staff of the place above can add a place under it",
    },
    "membership.decide_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以审核入驻申请",
        Locale.EN: "Only community staff can decide a request to join",
    },
    "membership.appoint_forbidden": {
        Locale.ZH_CN: "只有该地区的工作人员或上级管理员可以直接授予角色",
        Locale.EN: "Only staff of the place or an admin above it can give roles directly",
    },
    "report.accept_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以受理诉求",
        Locale.EN: "Only community staff can accept a report",
    },
    "report.assign_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以派单",
        Locale.EN: "Only community staff can assign a report",
    },
    "report.start_forbidden": {
        Locale.ZH_CN: "只有被指派人或社区工作人员可以开始处理诉求",
        Locale.EN: "Only the assignee or community staff can start work on a report",
    },
    "report.resolve_forbidden": {
        Locale.ZH_CN: "只有被指派人或社区工作人员可以将诉求标为已解决",
        Locale.EN: "Only the assignee or community staff can resolve a report",
    },
    "report.reject_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以不予受理诉求",
        Locale.EN: "Only community staff can reject a report",
    },
    "report.escalate_forbidden": {
        Locale.ZH_CN: "只有诉求当前所在层级（社区或街道）的工作人员可以上报",
        Locale.EN: "Only staff of the level a report is at (community, street) can escalate it",
    },
    # Dispatch (吹哨报到), units and the wide views.
    "report.dispatch_forbidden": {
        Locale.ZH_CN: "只有诉求当前所在街道或区的工作人员可以派发诉求",
        Locale.EN: "Only staff of the street or district a report is escalated to can dispatch it",
    },
    "report.take_forbidden": {
        Locale.ZH_CN: "只有诉求派发到的部门的成员可以接收该诉求",
        Locale.EN: "Only members of the unit a report is dispatched to can accept it",
    },
    "report.return_forbidden": {
        Locale.ZH_CN: "只有正在办理该诉求的部门的成员可以退回诉求",
        Locale.EN: "Only members of the unit holding a report can return it",
    },
    "report.unit_not_of_level": {
        Locale.ZH_CN: "只能派发给{place}的部门",
        Locale.EN: "The report can only be dispatched to a unit of {place}",
    },
    "report.unit_has_no_members": {
        Locale.ZH_CN: "该部门还没有成员，无人可以接收诉求",
        Locale.EN: "This unit has no members yet: nobody could take the report",
    },
    "report.box_corner": {
        Locale.ZH_CN: "请提供地球上的有效坐标",
        Locale.EN: "Give a valid point on the globe",
    },
    "report.box_order": {
        Locale.ZH_CN: "东北角必须位于西南角的北方和东方",
        Locale.EN: "The north-east corner must lie north and east of the south-west corner",
    },
    "unit.manage_forbidden": {
        Locale.ZH_CN: "只有该街道或区的工作人员可以管理其部门",
        Locale.EN: "Only staff of the street or district can manage its units",
    },
    "unit.place_level": {
        Locale.ZH_CN: "只有街道和区可以设立部门",
        Locale.EN: "Only a street or a district has units",
    },
    "unit.name_taken": {
        Locale.ZH_CN: "这里已经有名为“{name}”的部门",
        Locale.EN: "There is already a unit named “{name}” here",
    },
    "unit.not_found": {Locale.ZH_CN: "找不到该部门", Locale.EN: "Unit not found"},
    "unit.user_not_found": {Locale.ZH_CN: "找不到该用户", Locale.EN: "User not found"},
    "report.rate_forbidden": {
        Locale.ZH_CN: "只有提交人可以评价诉求的办理结果",
        Locale.EN: "Only the reporter can rate how a report was resolved",
    },
    "report.withdraw_forbidden": {
        Locale.ZH_CN: "只有提交人可以撤回诉求",
        Locale.EN: "Only the reporter can withdraw a report",
    },
    "report.mark_duplicate_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以将诉求标记为重复",
        Locale.EN: "Only community staff can mark a report as a duplicate",
    },
    "report.close_forbidden": {
        Locale.ZH_CN: "只有提交人或社区工作人员可以办结诉求",
        Locale.EN: "Only the reporter or community staff can close a report",
    },
    "report.comment_forbidden": {
        Locale.ZH_CN: "只有本社区成员和提交人可以评论诉求",
        Locale.EN: "Only members of the community and the reporter can comment on a report",
    },
    "council.create_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以设立议事组织",
        Locale.EN: "Only community staff can set up a council",
    },
    "council.members_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以管理议事组织的成员",
        Locale.EN: "Only community staff can change a council's members",
    },
    "proposal.create_forbidden": {
        Locale.ZH_CN: "只有议事组织成员或社区工作人员可以提出议题",
        Locale.EN: "Only council members or community staff can create a proposal",
    },
    "proposal.open_forbidden": {
        Locale.ZH_CN: "只有议事组织的主席或社区工作人员可以开始表决",
        Locale.EN: "Only the chair or community staff can open voting",
    },
    "proposal.cancel_forbidden": {
        Locale.ZH_CN: "只有议事组织的主席或社区工作人员可以取消表决",
        Locale.EN: "Only the chair or community staff can cancel voting",
    },
    "proposal.close_forbidden": {
        Locale.ZH_CN: "只有议事组织的主席或社区工作人员可以结束表决",
        Locale.EN: "Only the chair or community staff can close voting",
    },
    "proposal.withdraw_forbidden": {
        Locale.ZH_CN: "只有议题发起人、议事组织的主席或社区工作人员可以撤回议题",
        Locale.EN: "Only the author, the chair or community staff can withdraw a proposal",
    },
    "board.create_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以创建任务看板",
        Locale.EN: "Only community staff can open a task board",
    },
    "task.claim_forbidden": {
        Locale.ZH_CN: "只有本社区成员可以认领任务",
        Locale.EN: "Only members of the community can claim a task",
    },
    "task.release_forbidden": {
        Locale.ZH_CN: "只有认领人可以退出任务",
        Locale.EN: "Only someone who claimed a task can release it",
    },
    "task.submit_forbidden": {
        Locale.ZH_CN: "只有认领人可以提交任务成果",
        Locale.EN: "Only someone who claimed a task can submit it for review",
    },
    "task.approve_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以验收任务，且不能验收自己认领的任务",
        Locale.EN: "Only community staff can approve a task, and never one they claimed",
    },
    "task.edit_forbidden": {
        Locale.ZH_CN: "只有任务发布人或社区工作人员可以修改或取消任务",
        Locale.EN: "Only the task's creator or community staff can edit or cancel it",
    },
    "task.return_forbidden": {
        Locale.ZH_CN: "只有社区工作人员可以退回任务",
        Locale.EN: "Only community staff can send a task back",
    },
    "unauthenticated": {Locale.ZH_CN: "请先登录", Locale.EN: "Please log in"},
    "live.too_slow": {
        Locale.ZH_CN: "订阅接收过慢，连接已断开",
        Locale.EN: "Subscriber too slow: disconnected",
    },
    "token.invalid": {
        Locale.ZH_CN: "登录凭证无效或已过期",
        Locale.EN: "The access token is invalid or has expired",
    },
    # Notifications (written in the recipient's language).
    "notification.mark_read_what": {
        Locale.ZH_CN: "请指定要标为已读的通知，或选择全部",
        Locale.EN: "Give the notifications to mark read, or all",
    },
    "notification.report_status_changed.title": {
        Locale.ZH_CN: "您的诉求有新进展",
        Locale.EN: "Your report was updated",
    },
    "notification.report_status_changed.body": {
        Locale.ZH_CN: "「{title}」：{from} → {to}",
        Locale.EN: "“{title}”: {from} → {to}",
    },
    "notification.task_approved.title": {
        Locale.ZH_CN: "您的任务已通过验收",
        Locale.EN: "Your task was approved",
    },
    "notification.task_approved.body": {
        Locale.ZH_CN: "「{title}」已通过验收，感谢您的付出",
        Locale.EN: "“{title}” was approved. Thank you!",
    },
    "notification.task_approved.body_points": {
        Locale.ZH_CN: "「{title}」已通过验收，获得 {points} 积分",
        Locale.EN: "“{title}” was approved: {points} points",
    },
    "notification.voting_opened.title": {
        Locale.ZH_CN: "{council}开始表决",
        Locale.EN: "Voting opened in {council}",
    },
    "notification.voting_opened.body": {
        Locale.ZH_CN: "「{title}」已开始表决，请在截止前投票",
        Locale.EN: "Voting on “{title}” has opened; vote before it closes",
    },
    "notification.membership_approved.title": {
        Locale.ZH_CN: "入驻申请已通过",
        Locale.EN: "Your membership was approved",
    },
    "notification.membership_approved.body": {
        Locale.ZH_CN: "欢迎加入{place}",
        Locale.EN: "Welcome to {place}",
    },
    "notification.membership_rejected.title": {
        Locale.ZH_CN: "入驻申请未通过",
        Locale.EN: "Your membership request was declined",
    },
    "notification.membership_rejected.body": {
        Locale.ZH_CN: "{place}未通过您的申请。{reason}",
        Locale.EN: "{place} declined your request. {reason}",
    },
    "notification.no_time": {
        Locale.ZH_CN: "未定",
        Locale.EN: "not set",
    },
    "notification.report_assigned.title": {
        Locale.ZH_CN: "新的诉求派给您",
        Locale.EN: "A report was assigned to you",
    },
    "notification.report_assigned.body": {
        Locale.ZH_CN: "{who}将「{title}」（{number}）派给您，请于 {due} 前处理",
        Locale.EN: "{who} assigned “{title}” ({number}) to you: due {due}",
    },
    "notification.report_reopened.title": {
        Locale.ZH_CN: "诉求被退回重办",
        Locale.EN: "A report was reopened",
    },
    "notification.report_reopened.body": {
        Locale.ZH_CN: "居民评价 {rating} 星，「{title}」（{number}）已重新打开，请于 {due} 前处理",
        Locale.EN: "Rated {rating} stars, “{title}” ({number}) was reopened: due {due}",
    },
    "notification.report_escalated.title": {
        Locale.ZH_CN: "有诉求上报至{place}",
        Locale.EN: "A report was escalated to {place}",
    },
    "notification.report_escalated.body": {
        Locale.ZH_CN: "{who}将「{title}」（{number}）上报至{place}：{reason}",
        Locale.EN: "{who} escalated “{title}” ({number}) to {place}: {reason}",
    },
    "notification.report_dispatched.title": {
        Locale.ZH_CN: "{unit}收到派发的诉求",
        Locale.EN: "A report was dispatched to {unit}",
    },
    "notification.report_dispatched.body": {
        Locale.ZH_CN: "{who}将「{title}」（{number}）派发至{unit}，请于 {due} 前办理：{note}",
        Locale.EN: "{who} dispatched “{title}” ({number}) to {unit}, due {due}: {note}",
    },
    "notification.report_returned.title": {
        Locale.ZH_CN: "诉求被{unit}退回",
        Locale.EN: "{unit} returned a report",
    },
    "notification.report_returned.body": {
        Locale.ZH_CN: "{who}（{unit}）将「{title}」（{number}）退回{place}：{reason}",
        Locale.EN: "{who} ({unit}) returned “{title}” ({number}) to {place}: {reason}",
    },
    "notification.report_duplicate.title": {
        Locale.ZH_CN: "诉求已合并办理",
        Locale.EN: "A report was merged into another",
    },
    "notification.report_duplicate.body": {
        Locale.ZH_CN: "「{title}」与诉求 {original} 反映的是同一问题，"
        "已合并到该诉求办理，您将继续收到其进展",
        Locale.EN: "“{title}” is about the same problem as report {original}: it is handled there, "
        "and you will hear how it goes",
    },
    "notification.report_rejected.title": {
        Locale.ZH_CN: "诉求未被受理",
        Locale.EN: "A report was rejected",
    },
    "notification.report_rejected.body": {
        Locale.ZH_CN: "「{title}」未被受理：{reason}",
        Locale.EN: "“{title}” was rejected: {reason}",
    },
    "notification.report_commented.title": {
        Locale.ZH_CN: "工作人员回复了诉求",
        Locale.EN: "Staff commented on a report",
    },
    "notification.report_commented.body": {
        Locale.ZH_CN: "{who}回复「{title}」：{comment}",
        Locale.EN: "{who} on “{title}”: {comment}",
    },
    "notification.report_submitted.title": {
        Locale.ZH_CN: "社区有新的诉求",
        Locale.EN: "A new report in your community",
    },
    "notification.report_submitted.body": {
        Locale.ZH_CN: "「{title}」（{number}）待受理",
        Locale.EN: "“{title}” ({number}) awaits acceptance",
    },
    "notification.report_due_soon.title": {
        Locale.ZH_CN: "诉求即将到期",
        Locale.EN: "A report is due soon",
    },
    "notification.report_due_soon.body": {
        Locale.ZH_CN: "「{title}」（{number}）将于 {due} 到期",
        Locale.EN: "“{title}” ({number}) is due at {due}",
    },
    "notification.report_overdue.title": {
        Locale.ZH_CN: "诉求已超期",
        Locale.EN: "A report is overdue",
    },
    "notification.report_overdue.body": {
        Locale.ZH_CN: "「{title}」（{number}）应于 {due} 前办结，已超期",
        Locale.EN: "“{title}” ({number}) was due at {due} and is overdue",
    },
    "notification.membership_requested.title": {
        Locale.ZH_CN: "有居民申请入驻",
        Locale.EN: "Someone asks to join",
    },
    "notification.membership_requested.body": {
        Locale.ZH_CN: "{who}申请加入{place}（{address}），请审核",
        Locale.EN: "{who} asks to join {place} ({address}): please decide",
    },
    "notification.proxy_authorized.title": {
        Locale.ZH_CN: "您受托代为投票",
        Locale.EN: "You were made a proxy",
    },
    "notification.proxy_authorized.body": {
        Locale.ZH_CN: "{who}委托您在{council}的「{title}」表决中代为投票，截止 {closes}",
        Locale.EN: "{who} asks you to cast their vote on “{title}” in {council}, by {closes}",
    },
    "notification.suggestion_ready.title": {
        Locale.ZH_CN: "议题建议联署已达标",
        Locale.EN: "A suggestion has its co-signatures",
    },
    "notification.suggestion_ready.body": {
        Locale.ZH_CN: (
            "{council}收到的「{title}」已有 {count} 人联署（需 {needed} 人），请决定是否采纳"
        ),
        Locale.EN: "“{title}” to {council} has {count} co-signatures ({needed} needed): "
        "please accept or decline it",
    },
    "notification.suggestion_accepted.title": {
        Locale.ZH_CN: "议题建议已被采纳",
        Locale.EN: "A suggestion was accepted",
    },
    "notification.suggestion_accepted.body": {
        Locale.ZH_CN: "{council}采纳了「{title}」，进入协商讨论",
        Locale.EN: "{council} accepted “{title}”; deliberation starts",
    },
    "notification.suggestion_declined.title": {
        Locale.ZH_CN: "议题建议未被采纳",
        Locale.EN: "A suggestion was declined",
    },
    "notification.suggestion_declined.body": {
        Locale.ZH_CN: "{council}未采纳「{title}」，理由：{reason}",
        Locale.EN: "{council} declined “{title}”: {reason}",
    },
    "notification.task_submitted.title": {
        Locale.ZH_CN: "任务待验收",
        Locale.EN: "A task awaits review",
    },
    "notification.task_submitted.body": {
        Locale.ZH_CN: "{who}提交了「{title}」，请验收",
        Locale.EN: "{who} submitted “{title}” for review",
    },
    "notification.task_cancelled.title": {
        Locale.ZH_CN: "任务已取消",
        Locale.EN: "A task was called off",
    },
    "notification.task_cancelled.body": {
        Locale.ZH_CN: "您认领的「{title}」已被{who}取消：{reason}",
        Locale.EN: "{who} called off “{title}”, which you had claimed: {reason}",
    },
    "notification.redemption_requested.title": {
        Locale.ZH_CN: "爱心超市有新的兑换",
        Locale.EN: "A reward was redeemed",
    },
    "notification.redemption_requested.body": {
        Locale.ZH_CN: "{who}用 {cost} 积分兑换了「{reward}」，取货码 {code}，请备货",
        Locale.EN: "{who} redeemed “{reward}” for {cost} points (pickup code {code}): please "
        "have it ready",
    },
    "notification.redemption_cancelled.title": {
        Locale.ZH_CN: "兑换已取消，积分已退回",
        Locale.EN: "Your redemption was cancelled; points refunded",
    },
    "notification.redemption_cancelled.body": {
        Locale.ZH_CN: "「{reward}」的兑换已被{who}取消，{cost} 积分已退回：{reason}",
        Locale.EN: "{who} cancelled your redemption of “{reward}”; {cost} points were "
        "refunded: {reason}",
    },
    "notification.task_returned.title": {
        Locale.ZH_CN: "任务被退回",
        Locale.EN: "A task was sent back",
    },
    "notification.task_returned.body": {
        Locale.ZH_CN: "「{title}」被{who}退回：{reason}",
        Locale.EN: "{who} sent “{title}” back: {reason}",
    },
    "notification.task_claimed.title": {
        Locale.ZH_CN: "您发布的任务有人认领",
        Locale.EN: "Your task was claimed",
    },
    "notification.task_claimed.body": {
        Locale.ZH_CN: "{who}认领了「{title}」",
        Locale.EN: "{who} claimed “{title}”",
    },
    "notification.voting_closing_soon.title": {
        Locale.ZH_CN: "表决即将截止",
        Locale.EN: "Voting closes soon",
    },
    "notification.voting_closing_soon.body": {
        Locale.ZH_CN: "「{title}」将于 {closes} 截止，您尚未投票",
        Locale.EN: "Voting on “{title}” closes at {closes}; you have not voted",
    },
    "notification.voting_result.title": {
        Locale.ZH_CN: "{council}表决结果",
        Locale.EN: "Result of a vote in {council}",
    },
    "notification.voting_result.body": {
        Locale.ZH_CN: "「{title}」：{outcome}。投票 {voted}/{eligible}。{decision}{early}",
        Locale.EN: "“{title}”: {outcome}. {voted} of {eligible} voted. {decision}{early}",
    },
    "notification.close_reason": {
        Locale.ZH_CN: "提前结束的理由：{reason}",
        Locale.EN: " Closed early because: {reason}",
    },
    "notification.voting_cancelled.title": {
        Locale.ZH_CN: "{council}取消表决",
        Locale.EN: "Voting cancelled in {council}",
    },
    "notification.voting_cancelled.body": {
        Locale.ZH_CN: "「{title}」的表决已取消，不形成决议。理由：{reason}",
        Locale.EN: "Voting on “{title}” was cancelled without a decision. Reason: {reason}",
    },
    "notification.outcome.TIED": {
        Locale.ZH_CN: "票数并列，未产生胜出选项",
        Locale.EN: "tied, no winner",
    },
    "notification.outcome.CANCELLED": {
        Locale.ZH_CN: "已取消",
        Locale.EN: "cancelled",
    },
    "notification.outcome.PASSED": {
        Locale.ZH_CN: "通过",
        Locale.EN: "passed",
    },
    "notification.outcome.REJECTED": {
        Locale.ZH_CN: "未通过",
        Locale.EN: "rejected",
    },
    "notification.outcome.NO_QUORUM": {
        Locale.ZH_CN: "参与人数不足，未形成决议",
        Locale.EN: "no quorum, so no decision",
    },
    "notification.outcome.None": {
        Locale.ZH_CN: "已结束",
        Locale.EN: "closed",
    },
    "notification.quorum.True": {
        Locale.ZH_CN: "，已达到",
        Locale.EN: "reached",
    },
    "notification.quorum.False": {
        Locale.ZH_CN: "，未达到",
        Locale.EN: "not reached",
    },
    "push.token_required": {
        Locale.ZH_CN: "请提供推送令牌",
        Locale.EN: "Give the device's push token",
    },
    "push.token_invalid": {
        Locale.ZH_CN: "推送令牌无效（最多 {max} 个字符，不含空白）",
        Locale.EN: "Not a push token (at most {max} characters, no spaces)",
    },
    "push.too_many_devices": {
        Locale.ZH_CN: "最多可登记 {max} 台设备，请先移除不用的设备",
        Locale.EN: "At most {max} devices: remove one you no longer use",
    },
    "push.device_not_found": {
        Locale.ZH_CN: "找不到该设备",
        Locale.EN: "No such device",
    },
    "notification.kind_not_mutable": {
        Locale.ZH_CN: "需要您处理的通知（{kind}）不能屏蔽",
        Locale.EN: "Notifications asking you to act ({kind}) cannot be muted",
    },
    "notification.quiet_hours_time": {
        Locale.ZH_CN: "时间格式应为 00:00–23:59，例如 22:00（收到：{value}）",
        Locale.EN: "A time is 00:00–23:59, e.g. 22:00 (got {value})",
    },
    "notification.quiet_hours_both": {
        Locale.ZH_CN: "免打扰时段需同时填写开始和结束时间",
        Locale.EN: "Quiet hours need both a start and an end",
    },
    # GraphiQL at GET /graphql (neighbor_api/graphiql/): the page's title, and the comment that
    # opens its editor.
    "graphiql.title": {Locale.ZH_CN: "近邻 API · GraphiQL", Locale.EN: "Neighbor API · GraphiQL"},
    "graphiql.welcome": {
        Locale.ZH_CN: (
            "# 近邻 API 的 GraphiQL：Ctrl-Enter 运行，Ctrl-Space 补全。\n"
            "#\n"
            '# 登录：mutation { login(input: {phone: "…", password: "…"}) { accessToken } }\n'
            '# 再把 {"Authorization": "Bearer <accessToken>"} 填入下方的 Headers 面板：\n'
            "# 查询、变更和订阅（WebSocket）都会带上它。\n"
        ),
        Locale.EN: (
            "# GraphiQL for Neighbor API: Ctrl-Enter runs, Ctrl-Space completes.\n"
            "#\n"
            '# Sign in: mutation { login(input: {phone: "…", password: "…"}) { accessToken } }\n'
            '# then put {"Authorization": "Bearer <accessToken>"} in the Headers pane below:\n'
            "# queries, mutations and subscriptions (over the WebSocket) all carry it.\n"
        ),
    },
    "report.status.SUBMITTED": {Locale.ZH_CN: "已提交", Locale.EN: "submitted"},
    "report.status.ACCEPTED": {Locale.ZH_CN: "已受理", Locale.EN: "accepted"},
    "report.status.ASSIGNED": {Locale.ZH_CN: "已派单", Locale.EN: "assigned"},
    "report.status.IN_PROGRESS": {Locale.ZH_CN: "处理中", Locale.EN: "in progress"},
    "report.status.RESOLVED": {Locale.ZH_CN: "已解决", Locale.EN: "resolved"},
    "report.status.CLOSED": {Locale.ZH_CN: "已办结", Locale.EN: "closed"},
    "report.status.WITHDRAWN": {Locale.ZH_CN: "已撤回", Locale.EN: "withdrawn"},
    "report.status.DUPLICATE": {Locale.ZH_CN: "重复诉求", Locale.EN: "duplicate"},
    "report.status.REJECTED": {Locale.ZH_CN: "不予受理", Locale.EN: "rejected"},
    "report.category.REPAIR": {Locale.ZH_CN: "设施报修", Locale.EN: "Repairs"},
    "report.category.REPAIR.description": {
        Locale.ZH_CN: "公共设施损坏需要维修，如路灯、井盖、健身器材",
        Locale.EN: "Broken public facilities: street lights, manhole covers, fitness equipment",
    },
    "report.category.REPAIR.keywords": {
        Locale.ZH_CN: "维修,路灯,井盖,设施",
        Locale.EN: "repair,street light,manhole,facility",
    },
    "report.category.ENVIRONMENT": {Locale.ZH_CN: "环境卫生", Locale.EN: "Environment"},
    "report.category.ENVIRONMENT.description": {
        Locale.ZH_CN: "垃圾堆放、污水、绿化、噪音等环境问题",
        Locale.EN: "Litter, sewage, greenery, noise",
    },
    "report.category.ENVIRONMENT.keywords": {
        Locale.ZH_CN: "垃圾,卫生,绿化,噪音",
        Locale.EN: "litter,sanitation,greenery,noise",
    },
    "report.category.SAFETY_HAZARD": {Locale.ZH_CN: "安全隐患", Locale.EN: "Safety hazard"},
    "report.category.SAFETY_HAZARD.description": {
        Locale.ZH_CN: "消防通道堵塞、高空坠物、电动车违规充电等",
        Locale.EN: "Blocked fire lanes, falling objects, unsafe e-bike charging",
    },
    "report.category.SAFETY_HAZARD.keywords": {
        Locale.ZH_CN: "消防,隐患,高空坠物,充电",
        Locale.EN: "fire lane,hazard,falling objects,charging",
    },
    "report.category.TRAFFIC": {Locale.ZH_CN: "交通出行", Locale.EN: "Traffic"},
    "report.category.TRAFFIC.description": {
        Locale.ZH_CN: "违章停车、道路破损、信号灯故障等",
        Locale.EN: "Illegal parking, damaged roads, broken traffic lights",
    },
    "report.category.TRAFFIC.keywords": {
        Locale.ZH_CN: "停车,道路,信号灯",
        Locale.EN: "parking,road,traffic light",
    },
    "report.category.NEIGHBOR_DISPUTE": {Locale.ZH_CN: "邻里纠纷", Locale.EN: "Neighbour dispute"},
    "report.category.NEIGHBOR_DISPUTE.description": {
        Locale.ZH_CN: "邻里之间需要社区调解的矛盾（仅工作人员可见）",
        Locale.EN: "Disagreements between neighbours that need mediation (seen by staff only)",
    },
    "report.category.NEIGHBOR_DISPUTE.keywords": {
        Locale.ZH_CN: "纠纷,调解,邻里",
        Locale.EN: "dispute,mediation,neighbours",
    },
    "report.category.PROPERTY_MANAGEMENT": {
        Locale.ZH_CN: "物业管理",
        Locale.EN: "Property management",
    },
    "report.category.PROPERTY_MANAGEMENT.description": {
        Locale.ZH_CN: "物业服务、维修基金、小区管理等问题",
        Locale.EN: "Property services, maintenance funds, estate management",
    },
    "report.category.PROPERTY_MANAGEMENT.keywords": {
        Locale.ZH_CN: "物业,小区,维修基金",
        Locale.EN: "property,estate,maintenance fund",
    },
    "report.category.PUBLIC_ORDER": {Locale.ZH_CN: "社会治安", Locale.EN: "Public order"},
    "report.category.PUBLIC_ORDER.description": {
        Locale.ZH_CN: "扰民、群租、可疑情况等",
        Locale.EN: "Disturbances, overcrowded rentals, suspicious activity",
    },
    "report.category.PUBLIC_ORDER.keywords": {
        Locale.ZH_CN: "治安,扰民,群租",
        Locale.EN: "public order,disturbance,rental",
    },
    "report.category.OTHER": {Locale.ZH_CN: "其他", Locale.EN: "Other"},
    "report.category.OTHER.description": {
        Locale.ZH_CN: "其他社区事务",
        Locale.EN: "Anything else about the community",
    },
    "report.category.OTHER.keywords": {
        Locale.ZH_CN: "其他,建议",
        Locale.EN: "other,suggestion",
    },
    "open311.group.facilities": {
        Locale.ZH_CN: "设施与物业",
        Locale.EN: "Facilities and property",
    },
    "open311.group.environment": {
        Locale.ZH_CN: "环境",
        Locale.EN: "Environment",
    },
    "open311.group.safety": {
        Locale.ZH_CN: "安全与秩序",
        Locale.EN: "Safety and order",
    },
    "open311.group.community": {
        Locale.ZH_CN: "社区事务",
        Locale.EN: "Community affairs",
    },
    "open311.notice": {
        Locale.ZH_CN: "由{agency}办理，诉求编号 {number}",
        Locale.EN: "Handled by {agency}; report number {number}",
    },
    "open311.contact": {
        Locale.ZH_CN: "请联系所在社区的工作人员",
        Locale.EN: "Contact the staff of your community",
    },
    "open311.key_service": {
        Locale.ZH_CN: "api_key 由平台运维人员为合作系统签发",
        Locale.EN: "api_keys are issued to partner systems by the platform's operators",
    },
    "open311.status_notes": {Locale.ZH_CN: "{status}：{note}", Locale.EN: "{status}: {note}"},
    "open311.api_key_missing": {
        Locale.ZH_CN: "缺少 api_key：提交服务请求需要为贵系统签发的密钥",
        Locale.EN: (
            "api_key is missing: submitting a service request needs the key issued to your system"
        ),
    },
    "open311.key_name_taken": {
        Locale.ZH_CN: "「{name}」已有有效的密钥：请先吊销",
        Locale.EN: "“{name}” already has a live key: revoke it first",
    },
    "open311.api_key_invalid": {
        Locale.ZH_CN: "api_key 无效或已被吊销",
        Locale.EN: "The api_key is invalid or has been revoked",
    },
    "open311.rate_limited": {
        Locale.ZH_CN: "提交过于频繁：每个 api_key 每分钟最多 {limit} 次，请 {seconds} 秒后再试",
        Locale.EN: (
            "Too many requests: at most {limit} per minute "
            "per api_key; try again in {seconds} seconds"
        ),
    },
    "open311.jurisdiction_unknown": {
        Locale.ZH_CN: "未知的 jurisdiction_id「{value}」：本服务的是 {expected}",
        Locale.EN: "Unknown jurisdiction_id “{value}”: this endpoint serves {expected}",
    },
    "open311.service_code_missing": {
        Locale.ZH_CN: "缺少 service_code（见 services.json）",
        Locale.EN: "service_code is missing (see services.json)",
    },
    "open311.service_code_unknown": {
        Locale.ZH_CN: "未知的 service_code「{value}」（见 services.json）",
        Locale.EN: "Unknown service_code “{value}” (see services.json)",
    },
    "open311.location_required": {
        Locale.ZH_CN: (
            "需要 lat 和 long（WGS-84 坐标）：仅凭 address_string 或 address_id 无法确定所属社区"
        ),
        Locale.EN: (
            "lat and long (WGS-84) are required: an address_string or "
            "address_id alone cannot place the request in a community"
        ),
    },
    "open311.lat_invalid": {
        Locale.ZH_CN: "lat 须为 -90 到 90 之间的数字",
        Locale.EN: "lat must be a number from -90 to 90",
    },
    "open311.long_invalid": {
        Locale.ZH_CN: "long 须为 -180 到 180 之间的数字",
        Locale.EN: "long must be a number from -180 to 180",
    },
    "open311.outside_communities": {
        Locale.ZH_CN: "该位置不在任何社区的服务范围内（距最近的社区中心超过 {meters} 米）",
        Locale.EN: (
            "This location is outside every community (more than "
            "{meters} m from the nearest community's centre)"
        ),
    },
    "open311.description_required": {
        Locale.ZH_CN: "缺少 description：请描述问题",
        Locale.EN: "description is missing: describe the problem",
    },
    "open311.media_url_invalid": {
        Locale.ZH_CN: "media_url 须为 http(s) 链接，最多 {max} 个字符",
        Locale.EN: "media_url must be an http(s) link of at most {max} characters",
    },
    "open311.body_invalid": {
        Locale.ZH_CN: (
            "请求体无法解析：请使用 application/x-www-form-urlencoded 表单（或 JSON 对象）"
        ),
        Locale.EN: (
            "The body could not be read: send an application/x-www-form-urlencoded "
            "form (or a JSON object)"
        ),
    },
    "open311.request_not_found": {
        Locale.ZH_CN: "找不到服务请求「{value}」",
        Locale.EN: "No service request “{value}”",
    },
    "open311.request_id_invalid": {
        Locale.ZH_CN: "service_request_id「{value}」无效",
        Locale.EN: "Invalid service_request_id “{value}”",
    },
    "open311.too_many_ids": {
        Locale.ZH_CN: "service_request_id 最多 {max} 个",
        Locale.EN: "At most {max} service_request_id values",
    },
    "open311.date_invalid": {
        Locale.ZH_CN: "{name} 须为带时区的 W3C 日期时间，例如 2026-01-01T00:00:00+08:00",
        Locale.EN: (
            "{name} must be a W3C datetime with a time zone, e.g. 2026-01-01T00:00:00+08:00"
        ),
    },
    "open311.date_range": {
        Locale.ZH_CN: "end_date 须晚于 start_date，且跨度不超过 {days} 天",
        Locale.EN: "end_date must come after start_date, at most {days} days later",
    },
    "open311.status_invalid": {
        Locale.ZH_CN: "status 只能是 open 或 closed",
        Locale.EN: "status must be open or closed",
    },
    "open311.not_found": {
        Locale.ZH_CN: (
            "找不到该资源：Open311 接口有 services、services/{code}、"
            "requests、requests/{id}，格式为 .json 或 .xml"
        ),
        Locale.EN: (
            "No such resource: Open311 serves services, services/{code}, "
            "requests and requests/{id}, as .json or .xml"
        ),
    },
    "open311.method_not_allowed": {
        Locale.ZH_CN: "不支持该请求方法",
        Locale.EN: "This method is not allowed here",
    },
    "query.too_complex": {
        Locale.ZH_CN: "查询过于复杂：{detail}",
        Locale.EN: "The query is too complex: {detail}",
    },
    "http.preflight_required": {
        Locale.ZH_CN: "multipart 请求须带 GraphQL-Preflight 或 Apollo-Require-Preflight 请求头",
        Locale.EN: "A multipart request needs a GraphQL-Preflight or "
        "Apollo-Require-Preflight header",
    },
    "http.subscription_over_http": {
        Locale.ZH_CN: "订阅不能通过 HTTP 发送，"
        "请用 WebSocket 连接 /graphql（graphql-transport-ws 协议）",
        Locale.EN: "Subscriptions cannot be sent over HTTP; use the WebSocket at /graphql "
        "(graphql-transport-ws protocol)",
    },
    "http.rate_limited": {
        Locale.ZH_CN: "未登录的请求过于频繁，请 {seconds} 秒后再试，或先登录",
        Locale.EN: "Too many requests without signing in; retry in {seconds} s, or sign in",
    },
    "live.too_many_on_connection": {
        Locale.ZH_CN: "此连接上进行中的订阅已达上限（{limit} 个），请先取消一些",
        Locale.EN: "This connection already has {limit} subscriptions running; complete some first",
    },
    "live.too_many_for_user": {
        Locale.ZH_CN: "你进行中的订阅已达上限（{limit} 个），请先取消一些",
        Locale.EN: "You already have {limit} subscriptions running; complete some first",
    },
    "http.mutation_over_get": {
        Locale.ZH_CN: "变更操作只能用 POST 发送",
        Locale.EN: "Mutations can only be sent with POST",
    },
    "persisted.not_found": {
        Locale.ZH_CN: "服务器没有该持久化查询，请连同查询文本重新发送",
        Locale.EN: "The server does not know this persisted query; send it again with its text",
    },
    "persisted.not_supported": {
        Locale.ZH_CN: "不支持该版本的持久化查询（仅支持 version 1）",
        Locale.EN: "This persisted query version is not supported (only version 1)",
    },
    "persisted.hash_mismatch": {
        Locale.ZH_CN: "查询文本的 SHA-256 与 sha256Hash 不符",
        Locale.EN: "The query's SHA-256 does not match sha256Hash",
    },
    "persisted.malformed": {
        Locale.ZH_CN: "extensions.persistedQuery 须为 {version: 1, sha256Hash: 64 位十六进制}",
        Locale.EN: "extensions.persistedQuery must be {version: 1, sha256Hash: 64 hex digits}",
    },
    "persisted.not_trusted": {
        Locale.ZH_CN: "本服务器只执行已登记的操作（schema/operations）",
        Locale.EN: "This server runs only registered operations (schema/operations)",
    },
    "internal": {
        Locale.ZH_CN: "服务器内部错误（请求编号 {request_id}）",
        Locale.EN: "Internal server error (request {request_id})",
    },
    # Surveys (surveys/).
    "survey.not_found": {Locale.ZH_CN: "找不到该问卷", Locale.EN: "Survey not found"},
    "survey.create_forbidden": {
        Locale.ZH_CN: "只有该地区（社区、街道、区）的工作人员可以发起问卷",
        Locale.EN: "Only staff of this place (community, street, district) can start a survey",
    },
    "survey.place_level": {
        Locale.ZH_CN: "问卷只能面向社区、街道、区或市发起",
        Locale.EN: "A survey is asked of a community, a street, a district or the city",
    },
    "survey.questions": {
        Locale.ZH_CN: "请设置 1 到 {max} 个问题",
        Locale.EN: "Ask 1 to {max} questions",
    },
    "survey.options": {
        Locale.ZH_CN: "单选题需要 2 到 {max} 个互不相同的选项",
        Locale.EN: "A single-choice question needs 2 to {max} different options",
    },
    "survey.options_not_allowed": {
        Locale.ZH_CN: "评分题（1–5）和是非题的选项由系统给出，请勿填写",
        Locale.EN: "Rating (1–5) and yes/no questions take no options of yours",
    },
    "survey.naive_time": {
        Locale.ZH_CN: "请给出带时区的时间",
        Locale.EN: "Give the time with its UTC offset",
    },
    "survey.closes_in_past": {
        Locale.ZH_CN: "请设置一个将来的截止时间",
        Locale.EN: "Give a closing time in the future",
    },
    "survey.closes_before_opens": {
        Locale.ZH_CN: "截止时间必须晚于开始时间",
        Locale.EN: "The survey must close after it opens",
    },
    "survey.unknown_question": {
        Locale.ZH_CN: "不是本问卷的问题，或重复回答了同一问题",
        Locale.EN: "Not a question of this survey, or one answered twice",
    },
    "survey.value": {
        Locale.ZH_CN: "请从以下选项中选择：{options}",
        Locale.EN: "Choose one of: {options}",
    },
    "survey.answer_every_question": {
        Locale.ZH_CN: "请回答全部 {count} 个问题",
        Locale.EN: "Answer all {count} questions",
    },
    "survey.not_open": {
        Locale.ZH_CN: "该问卷尚未开始或已经结束",
        Locale.EN: "This survey has not opened yet or has closed",
    },
    "survey.not_eligible": {
        Locale.ZH_CN: "只有本地区的居民可以填写该问卷",
        Locale.EN: "Only residents of this place can answer this survey",
    },
    "survey.already_answered": {
        Locale.ZH_CN: "您已填写过该问卷，每人只能填写一次",
        Locale.EN: "You have answered this survey; each person answers once",
    },
    "notification.survey_opened.title": {
        Locale.ZH_CN: "{place}邀请您填写问卷",
        Locale.EN: "{place} asks for your views",
    },
    "notification.survey_opened.body": {
        Locale.ZH_CN: "「{title}」已开始，匿名填写，{closes} 截止",
        Locale.EN: "“{title}” is open: anonymous, until {closes}",
    },
    "metrics.unauthorized": {
        Locale.ZH_CN: "访问指标需要有效的令牌",
        Locale.EN: "The metrics need a valid token",
    },
}


class Localized(dict[Locale, str]):
    """A message parameter that is itself in both languages (a label from data)."""

    def to(self, locale: Locale) -> str:
        return self.get(locale) or self.get(DEFAULT_LOCALE) or ""


def translate(key: str, locale: Locale, params: Mapping[str, object] | None = None) -> str:
    """The message `key` in `locale`, with its placeholders filled (a `Localized` one in
    `locale` too)."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    template = entry.get(locale) or entry[DEFAULT_LOCALE]
    if not params:
        return template
    filled = {k: v.to(locale) if isinstance(v, Localized) else v for k, v in params.items()}
    return template.format(**filled)


# A handful of distinct headers in practice: each is read once (asked twice a request).
@lru_cache(maxsize=256)
def negotiate(accept_language: str | None) -> Locale:
    """Pick the response language from an Accept-Language header (q-values honoured)."""
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        ranked.append((-weight, index, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return Locale.ZH_CN
        if tag.startswith("en"):
            return Locale.EN
    return DEFAULT_LOCALE
