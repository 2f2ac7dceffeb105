// The console's one message catalogue: every label, in zh-CN (the default) and en.
const zhCN = {
  app: { title: '近邻 · 社区工作台', signOut: '退出登录', language: 'English', apiDown: '无法连接服务器，请检查网络后重试。', retry: '重试', loading: '加载中…', save: '保存', cancel: '取消', empty: '暂无数据', prev: '上一页', next: '下一页', total: '共 {n} 条', refresh: '刷新', back: '返回' },
  nav: { label: '主导航', reports: '诉求', memberships: '成员审核', councils: '议事', boards: '任务看板', dashboard: '数据看板' },
  login: { title: '登录社区工作台', phone: '手机号', password: '密码', submit: '登录', failed: '登录失败', byPassword: '密码登录', byCode: '验证码登录', code: '验证码', getCode: '获取验证码', resendIn: '{n} 秒后重新获取', codeSent: '验证码已发送，请查看短信。' },
  notStaff: { title: '此账号不是工作人员', body: '社区工作台只对社区工作者、网格员和街道、区的工作人员开放。居民请使用近邻 App。', signOut: '换个账号登录', placeTitle: '街道、区工作人员的工作台尚未开放', placeBody: '此账号是街道或区的工作人员，不属于某个社区；工作台目前只有社区的页面。请暂用 GraphiQL 查看上报的诉求和统计。' },
  community: { label: '社区' },
  reports: { title: '诉求', status: '状态', category: '类别', order: '排序', overdue: '只看逾期', assignedToMe: '指派给我的', number: '编号', reportTitle: '标题', priority: '优先级', assignee: '处理人', reporter: '反映人', dueAt: '办理期限', createdAt: '提交时间', isOverdue: '已逾期', live: '实时更新', updated: '诉求队列已更新' },
  report: { description: '描述', address: '地址', photos: '照片', resolutionPhotos: '办结照片', timeline: '处理过程', comments: '评论', comment: '发表评论', send: '发送', grid: '网格', escalation: '上报层级', satisfaction: '满意度', linkedTasks: '关联任务', actions: '操作', done: '已完成：{action}' },
  actions: { accept: '受理', assign: '指派', start: '开始处理', resolve: '办结', reject: '驳回', escalate: '上报' },
  fields: { priority: '优先级', assigneeId: '处理人', dueAt: '办理期限', note: '办结说明', reason: '原因', roles: '角色', ownedFloorArea: '产权面积（m²）', title: '标题', body: '内容', electorate: '投票范围', ballot: '投票方式', method: '表决方式', matter: '事项类别', options: '选项（每行一个）', votingClosesAt: '投票截止' },
  memberships: { title: '成员审核', applicant: '申请人', phone: '手机号', address: '地址', approve: '通过', reject: '拒绝', approved: '已通过申请', rejected: '已拒绝申请', none: '没有待审核的申请' },
  boards: { title: '任务看板', board: '看板', limit: '上限 {n}', capacity: '已认领 {taken}/{n}', points: '{n} 积分', conflict: '任务已被他人更新，已重新加载该看板，请再试一次。', moved: '任务已移动', approve: '验收通过', approved: '已验收', return: '退回', returned: '已退回，任务回到进行中', returnTitle: '退回任务：{title}', returnReason: '退回原因', newTask: '新建任务', create: '创建', dropHere: '拖到这里' },
  councils: { title: '议事', council: '议事会', newProposal: '新建议题', open: '开始投票', close: '结束投票', results: '查看结果', turnout: '参与率', outcome: '结果', rules: '表决规则', quorum: '法定人数', threshold: '通过比例', options: '选项', votes: '票数', area: '面积（m²）', quorumReached: '已达法定人数', quorumMissed: '未达法定人数', voters: '投票人', created: '议题已创建' },
  dashboard: { title: '数据看板', reportsTotal: '诉求总数', reportsOpen: '办理中', reportsOverdue: '逾期', median: '办结用时中位数（小时）', onTime: '按时办结率', satisfaction: '满意率', proposalsPassed: '通过议题', turnout: '平均参与率', tasksDone: '完成任务', volunteers: '活跃志愿者', points: '发放积分', byStatus: '按状态', byCategory: '按类别' },
  bell: { label: '通知', unread: '{n} 条未读', markAll: '全部已读', none: '没有通知' },
  enums: {
    ReportStatus: { SUBMITTED: '待受理', ACCEPTED: '已受理', ASSIGNED: '已指派', IN_PROGRESS: '处理中', RESOLVED: '已办结', CLOSED: '已关闭', REJECTED: '已驳回', WITHDRAWN: '已撤回', DUPLICATE: '已合并（重复）' },
    ReportCategory: { REPAIR: '维修', ENVIRONMENT: '环境卫生', SAFETY_HAZARD: '安全隐患', TRAFFIC: '交通', NEIGHBOR_DISPUTE: '邻里纠纷', PROPERTY_MANAGEMENT: '物业管理', PUBLIC_ORDER: '公共秩序', OTHER: '其他' },
    ReportOrder: { NEWEST: '最新', OLDEST: '最早', MOST_ENDORSED: '附议最多', DUE_SOONEST: '最快到期' },
    ReportPriority: { LOW: '低', NORMAL: '普通', HIGH: '高', URGENT: '紧急' },
    Role: { RESIDENT: '居民', COUNCIL_MEMBER: '议事会成员', GRID_WORKER: '网格员', COMMUNITY_WORKER: '社区工作者', ADMIN: '管理员' },
    ProposalStatus: { DRAFT: '草稿', DELIBERATION: '协商中', VOTING: '投票中', CLOSED: '已结束', WITHDRAWN: '已撤回', SUGGESTED: '征集联署中' },
    ProposalOutcome: { PASSED: '通过', REJECTED: '未通过', NO_QUORUM: '未达法定人数', TIED: '平票', CANCELLED: '已取消' },
    Electorate: { COUNCIL_MEMBERS: '议事会成员', RESIDENTS: '居民', HOUSEHOLDS: '每户一票', OWNERS: '业主' },
    Ballot: { OPEN: '记名', SECRET: '不记名' },
    VotingMethod: { YES_NO_ABSTAIN: '赞成/反对/弃权', SINGLE_CHOICE: '单选', MULTIPLE_CHOICE: '多选' },
    ProposalMatter: { ORDINARY: '一般事项（过半数）', MAJOR: '重大事项（四分之三）' },
    ColumnKind: { TODO: '待认领', DOING: '进行中', REVIEW: '待验收', DONE: '已完成' },
  },
}

type Catalogue = typeof zhCN

const en: Catalogue = {
  app: { title: 'Neighbor · Community console', signOut: 'Sign out', language: '中文', apiDown: 'Cannot reach the server. Check the network and retry.', retry: 'Retry', loading: 'Loading…', save: 'Save', cancel: 'Cancel', empty: 'Nothing here', prev: 'Previous', next: 'Next', total: '{n} in all', refresh: 'Refresh', back: 'Back' },
  nav: { label: 'Main navigation', reports: 'Reports', memberships: 'Memberships', councils: 'Councils', boards: 'Task boards', dashboard: 'Dashboard' },
  login: { title: 'Sign in to the community console', phone: 'Phone', password: 'Password', submit: 'Sign in', failed: 'Sign-in failed', byPassword: 'Password', byCode: 'Verification code', code: 'Code', getCode: 'Get code', resendIn: 'Resend in {n} s', codeSent: 'Code sent: check your text messages.' },
  notStaff: { title: 'This account is not staff', body: 'The console is for community workers, grid workers and street and district staff. Residents use the Neighbor app.', signOut: 'Sign in with another account', placeTitle: 'The console for street and district staff is not open yet', placeBody: 'This account is staff of a street or district, not of a community; the console has only a community\'s screens so far. Use GraphiQL for escalated reports and statistics meanwhile.' },
  community: { label: 'Community' },
  reports: { title: 'Reports', status: 'Status', category: 'Category', order: 'Order', overdue: 'Overdue only', assignedToMe: 'Assigned to me', number: 'Number', reportTitle: 'Title', priority: 'Priority', assignee: 'Assignee', reporter: 'Reporter', dueAt: 'Due', createdAt: 'Submitted', isOverdue: 'Overdue', live: 'Live', updated: 'The queue was updated' },
  report: { description: 'Description', address: 'Address', photos: 'Photos', resolutionPhotos: 'Resolution photos', timeline: 'Timeline', comments: 'Comments', comment: 'Comment', send: 'Send', grid: 'Grid', escalation: 'Escalation level', satisfaction: 'Satisfaction', linkedTasks: 'Linked tasks', actions: 'Actions', done: 'Done: {action}' },
  actions: { accept: 'Accept', assign: 'Assign', start: 'Start', resolve: 'Resolve', reject: 'Reject', escalate: 'Escalate' },
  fields: { priority: 'Priority', assigneeId: 'Assignee', dueAt: 'Due', note: 'Resolution note', reason: 'Reason', roles: 'Roles', ownedFloorArea: 'Owned floor area (m²)', title: 'Title', body: 'Body', electorate: 'Electorate', ballot: 'Ballot', method: 'Method', matter: 'Matter', options: 'Options (one a line)', votingClosesAt: 'Voting closes' },
  memberships: { title: 'Memberships', applicant: 'Applicant', phone: 'Phone', address: 'Address', approve: 'Approve', reject: 'Reject', approved: 'Approved', rejected: 'Rejected', none: 'No pending requests' },
  boards: { title: 'Task boards', board: 'Board', limit: 'Limit {n}', capacity: '{taken} of {n} places taken', points: '{n} points', conflict: 'Someone else changed this task: the board was reloaded, try again.', moved: 'Task moved', approve: 'Approve', approved: 'Approved', return: 'Return', returned: 'Returned: the task is back in Doing', returnTitle: 'Return task: {title}', returnReason: 'Why it goes back', newTask: 'New task', create: 'Create', dropHere: 'Drop here' },
  councils: { title: 'Councils', council: 'Council', newProposal: 'New proposal', open: 'Open voting', close: 'Close voting', results: 'Results', turnout: 'Turnout', outcome: 'Outcome', rules: 'Decision rules', quorum: 'Quorum', threshold: 'Pass threshold', options: 'Options', votes: 'Votes', area: 'Area (m²)', quorumReached: 'Quorum reached', quorumMissed: 'Quorum not reached', voters: 'Voters', created: 'Proposal created' },
  dashboard: { title: 'Dashboard', reportsTotal: 'Reports', reportsOpen: 'Open', reportsOverdue: 'Overdue', median: 'Median hours to resolve', onTime: 'Resolved on time', satisfaction: 'Satisfied', proposalsPassed: 'Proposals passed', turnout: 'Average turnout', tasksDone: 'Tasks done', volunteers: 'Active volunteers', points: 'Points awarded', byStatus: 'By status', byCategory: 'By category' },
  bell: { label: 'Notifications', unread: '{n} unread', markAll: 'Mark all read', none: 'No notifications' },
  enums: {
    ReportStatus: { SUBMITTED: 'Submitted', ACCEPTED: 'Accepted', ASSIGNED: 'Assigned', IN_PROGRESS: 'In progress', RESOLVED: 'Resolved', CLOSED: 'Closed', REJECTED: 'Rejected', WITHDRAWN: 'Withdrawn', DUPLICATE: 'Duplicate (merged)' },
    ReportCategory: { REPAIR: 'Repair', ENVIRONMENT: 'Environment', SAFETY_HAZARD: 'Safety hazard', TRAFFIC: 'Traffic', NEIGHBOR_DISPUTE: 'Neighbour dispute', PROPERTY_MANAGEMENT: 'Property management', PUBLIC_ORDER: 'Public order', OTHER: 'Other' },
    ReportOrder: { NEWEST: 'Newest', OLDEST: 'Oldest', MOST_ENDORSED: 'Most endorsed', DUE_SOONEST: 'Due soonest' },
    ReportPriority: { LOW: 'Low', NORMAL: 'Normal', HIGH: 'High', URGENT: 'Urgent' },
    Role: { RESIDENT: 'Resident', COUNCIL_MEMBER: 'Council member', GRID_WORKER: 'Grid worker', COMMUNITY_WORKER: 'Community worker', ADMIN: 'Admin' },
    ProposalStatus: { DRAFT: 'Draft', DELIBERATION: 'Deliberation', VOTING: 'Voting', CLOSED: 'Closed', WITHDRAWN: 'Withdrawn', SUGGESTED: 'Gathering co-signatures' },
    ProposalOutcome: { PASSED: 'Passed', REJECTED: 'Rejected', NO_QUORUM: 'No quorum', TIED: 'Tied', CANCELLED: 'Cancelled' },
    Electorate: { COUNCIL_MEMBERS: 'Council members', RESIDENTS: 'Residents', HOUSEHOLDS: 'One vote a household', OWNERS: 'Owners' },
    Ballot: { OPEN: 'Open', SECRET: 'Secret' },
    VotingMethod: { YES_NO_ABSTAIN: 'Yes / no / abstain', SINGLE_CHOICE: 'Single choice', MULTIPLE_CHOICE: 'Multiple choice' },
    ProposalMatter: { ORDINARY: 'Ordinary (more than half)', MAJOR: 'Major (three quarters)' },
    ColumnKind: { TODO: 'To do', DOING: 'Doing', REVIEW: 'Review', DONE: 'Done' },
  },
}

export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof LOCALES)[number]
export const messages: Record<Locale, Catalogue> = { 'zh-CN': zhCN, en }
