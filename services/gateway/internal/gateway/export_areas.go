package gateway

// The co-building and supervision services' lists, as workbooks. Each
// reads the list's own REST route, so what a caller may see and how a
// list is filtered stay the service's.

// cobuildingExports are the co-building service's lists.
var cobuildingExports = map[string]exportList{
	"resident-units": {route: "/v1/resident-units", items: "residentUnits", sheet: "驻区单位", columns: []exportColumn{
		{heading: "单位名称", field: "name", width: 32},
		{heading: "单位类型", field: "type", kind: "enum", width: 14},
		{heading: "所在社区", field: "communityId", kind: "org", width: 28},
		{heading: "所在街道", field: "streetId", kind: "org", width: 24},
		{heading: "地址", field: "address", width: 30},
		{heading: "职工人数", field: "headCount", width: 10},
		{heading: "党员人数", field: "partyMemberCount", width: 10},
		{heading: "在职党员报到人数", field: "inServiceMemberCount", width: 14},
		{heading: "单位党组织", field: "partyOrganisationId", kind: "org", width: 28},
		{heading: "组织覆盖空白", field: "coverageGap", kind: "bool", width: 12},
		{heading: "单位ID", field: "id", width: 38},
	}},
	"agreements": {route: "/v1/agreements", items: "agreements", sheet: "共建协议", columns: []exportColumn{
		{heading: "社区", field: "communityId", kind: "org", width: 28},
		{heading: "驻区单位", field: "unitId", kind: "unit", width: 30},
		{heading: "状态", field: "state", kind: "enum", width: 8},
		{heading: "开始日期", field: "startDate", width: 12},
		{heading: "结束日期", field: "endDate", width: 12},
		{heading: "签订日期", field: "signedDate", width: 12},
		{heading: "续签次数", field: "renewals", width: 10},
		{heading: "社区联系人", field: "communityContact.name", width: 12},
		{heading: "单位联系人", field: "unitContact.name", width: 12},
		{heading: "终止日期", field: "endedDate", width: 12},
		{heading: "终止原因", field: "endReason", width: 24},
		{heading: "协议ID", field: "id", width: 38},
	}},
	"unit-reports": {route: "/v1/unit-reports", items: "unitReports", sheet: "月度报告", columns: []exportColumn{
		{heading: "驻区单位", field: "unitId", kind: "unit", width: 30},
		{heading: "社区", field: "communityId", kind: "org", width: 28},
		{heading: "月份", field: "month", width: 10},
		{heading: "概要", field: "summary", width: 40},
		{heading: "应报日期", field: "dueDate", width: 12},
		{heading: "逾期报送", field: "late", kind: "bool", width: 10},
		{heading: "报送人", field: "filedBy", width: 20},
		{heading: "报送时间", field: "createTime", kind: "time", width: 18},
	}},
	"missed-reports": {route: "/v1/unit-reports:missed", items: "missedReports", sheet: "未报月份", columns: []exportColumn{
		{heading: "驻区单位", field: "unitId", kind: "unit", width: 30},
		{heading: "社区", field: "communityId", kind: "org", width: 28},
		{heading: "月份", field: "month", width: 10},
		{heading: "应报日期", field: "dueDate", width: 12},
		{heading: "发现时间", field: "detectTime", kind: "time", width: 18},
	}},
	"joint-meetings": {route: "/v1/joint-meetings", items: "jointMeetings", sheet: "联席会议", columns: []exportColumn{
		{heading: "会议名称", field: "title", width: 32},
		{heading: "类型", field: "kind", kind: "enum", width: 12},
		{heading: "召集组织", field: "convenerId", kind: "org", width: 28},
		{heading: "日期", field: "date", width: 12},
		{heading: "参会单位", field: "unitIds", kind: "unit", width: 40},
		{heading: "参会组织", field: "organisationIds", kind: "org", width: 40},
		{heading: "会议纪要", field: "minutes", width: 40},
		{heading: "会议ID", field: "id", width: 38},
	}},
	"ledger-items": {route: "/v1/ledger-items", items: "ledgerItems", sheet: "问题台账", columns: []exportColumn{
		{heading: "事项", field: "title", width: 32},
		{heading: "内容", field: "matter", width: 40},
		{heading: "责任单位", field: "ownerUnitId", kind: "unit", width: 28},
		{heading: "责任组织", field: "ownerOrganisationId", kind: "org", width: 28},
		{heading: "办结期限", field: "deadline", width: 12},
		{heading: "状态", field: "status", kind: "enum", width: 10},
		{heading: "逾期", field: "overdue", kind: "bool", width: 8},
		{heading: "退回理由", field: "sendBackReason", width: 24},
		{heading: "销号说明", field: "closeNote", width: 24},
		{heading: "销号时间", field: "closeTime", kind: "time", width: 18},
		{heading: "台账ID", field: "id", width: 38},
	}},
	"joint-activities": {route: "/v1/joint-activities", items: "jointActivities", sheet: "共建活动", columns: []exportColumn{
		{heading: "活动名称", field: "title", width: 32},
		{heading: "领域", field: "area", kind: "enum", width: 12},
		{heading: "日期", field: "date", width: 12},
		{heading: "社区", field: "communityIds", kind: "org", width: 36},
		{heading: "驻区单位", field: "unitIds", kind: "unit", width: 36},
		{heading: "参与人数", field: "attendance", width: 10},
		{heading: "党员人数", field: "memberAttendance", width: 10},
		{heading: "时长(小时)", field: "hours", width: 10},
		{heading: "说明", field: "description", width: 40},
	}},
}

// supervisionExports are the supervision service's lists.
var supervisionExports = map[string]exportList{
	"rectification-items": {route: "/v1/rectification-items", items: "items", sheet: "整改事项", columns: []exportColumn{
		{heading: "事项", field: "title", width: 36},
		{heading: "责任组织", field: "organisationId", kind: "org", width: 30},
		{heading: "来源", field: "source", kind: "enum", width: 10},
		{heading: "规则", field: "ruleCode", width: 26},
		{heading: "状态", field: "state", kind: "enum", width: 10},
		{heading: "整改期限", field: "deadline", width: 12},
		{heading: "逾期", field: "overdue", kind: "bool", width: 8},
		{heading: "待整改到位", field: "needsRemedy", kind: "bool", width: 10},
		{heading: "应交佐证", field: "requiredEvidence", width: 30},
		{heading: "建立时间", field: "createTime", kind: "time", width: 18},
		{heading: "事项ID", field: "id", width: 38},
	}},
	"findings": {route: "/v1/findings", items: "findings", sheet: "督查发现", columns: []exportColumn{
		{heading: "规则", field: "ruleCode", width: 26},
		{heading: "规则版本", field: "ruleVersion", width: 10},
		{heading: "组织", field: "organisationId", kind: "org", width: 30},
		{heading: "期间", field: "period", width: 20},
		{heading: "等级", field: "severity", kind: "enum", width: 8},
		{heading: "说明", field: "explanation", width: 40},
		{heading: "发现时间", field: "createTime", kind: "time", width: 18},
	}},
	"rules": {route: "/v1/rules", items: "rules", sheet: "督查规则", columns: []exportColumn{
		{heading: "代码", field: "code", width: 26},
		{heading: "名称", field: "name", width: 24},
		{heading: "版本", field: "version", width: 8},
		{heading: "事实", field: "fact", width: 22},
		{heading: "条件", field: "condition", width: 40},
		{heading: "等级", field: "severity", kind: "enum", width: 8},
		{heading: "启用", field: "enabled", kind: "bool", width: 8},
		{heading: "说明", field: "explanation", width: 40},
	}},
	"inspection-rounds": {route: "/v1/inspection-rounds", items: "rounds", sheet: "督查轮次", columns: []exportColumn{
		{heading: "名称", field: "name", width: 30},
		{heading: "区(县)", field: "districtId", kind: "org", width: 24},
		{heading: "年度", field: "year", width: 8},
		{heading: "季度", field: "quarter", width: 8},
		{heading: "建立人", field: "createdBy", width: 20},
		{heading: "轮次ID", field: "id", width: 38},
	}},
	"inspection-groups": {route: "/v1/inspection-rounds/{roundId}/groups", items: "groups", sheet: "督查组", columns: []exportColumn{
		{heading: "组名", field: "name", width: 24},
		{heading: "督查人员", field: "inspectors", width: 36},
		{heading: "负责组织", field: "organisationIds", kind: "org", width: 50},
		{heading: "督查组ID", field: "id", width: 38},
	}},
	"inspection-findings": {route: "/v1/inspection-rounds/{roundId}/findings", items: "findings", sheet: "现场发现", columns: []exportColumn{
		{heading: "组织", field: "organisationId", kind: "org", width: 30},
		{heading: "检查项", field: "checklistCode", width: 14},
		{heading: "问题", field: "description", width: 40},
		{heading: "督查人员", field: "inspector", width: 20},
		{heading: "整改事项ID", field: "itemId", width: 38},
		{heading: "发现时间", field: "createTime", kind: "time", width: 18},
	}},
	"interviews": {route: "/v1/interviews", items: "interviews", sheet: "约谈", columns: []exportColumn{
		{heading: "组织", field: "organisationId", kind: "org", width: 30},
		{heading: "事由", field: "reason", width: 36},
		{heading: "状态", field: "state", kind: "enum", width: 10},
		{heading: "应约谈日期", field: "dueBy", width: 12},
		{heading: "约谈日期", field: "heldOn", width: 12},
		{heading: "约谈对象", field: "interviewee", width: 14},
		{heading: "整改期限", field: "fixDeadline", width: 12},
		{heading: "回访情况", field: "followUp", width: 30},
		{heading: "回访日期", field: "followedUpOn", width: 12},
	}},
}

// cobuildingLabels are the Chinese names of the co-building enums.
var cobuildingLabels = map[string]string{
	"UNIT_TYPE_GOVERNMENT_OFFICE": "机关", "UNIT_TYPE_STATE_ENTERPRISE": "国有企业", "UNIT_TYPE_PRIVATE_ENTERPRISE": "非公企业",
	"UNIT_TYPE_INSTITUTION": "事业单位", "UNIT_TYPE_NEW_ECONOMIC_ORGANISATION": "新经济组织", "UNIT_TYPE_SOCIAL_ORGANISATION": "社会组织",
	"AGREEMENT_STATE_LIVE": "履行中", "AGREEMENT_STATE_ENDED": "已终止",
	"AREA_ORGANISATION_BUILDING": "基层组织共建", "AREA_CIVILITY": "文明宣传共促", "AREA_COMMUNITY_SERVICE": "社区服务共谋",
	"AREA_PUBLIC_SECURITY": "社会治安共防", "AREA_SHARED_RESOURCES": "资源设施共享", "AREA_ENVIRONMENT": "环境卫生共护",
	"MEETING_KIND_COMMUNITY": "社区联席会议", "MEETING_KIND_COUNTY": "县级联席会议",
	"LEDGER_ITEM_STATUS_OPEN": "待办理", "LEDGER_ITEM_STATUS_REPORTED": "已报进展", "LEDGER_ITEM_STATUS_SENT_BACK": "已退回",
	"LEDGER_ITEM_STATUS_CLOSED": "已销号",
}

// supervisionLabels are the Chinese names of the supervision enums.
var supervisionLabels = map[string]string{
	"ITEM_SOURCE_RULE": "规则发现", "ITEM_SOURCE_INSPECTION": "现场督查", "ITEM_SOURCE_MANUAL": "手工建立",
	"ITEM_STATE_OPEN": "整改中", "ITEM_STATE_SUBMITTED": "待验收", "ITEM_STATE_CLOSED": "已销号",
	"SEVERITY_LOW": "一般", "SEVERITY_MEDIUM": "较重", "SEVERITY_HIGH": "严重",
	"INTERVIEW_STATE_SCHEDULED": "待约谈", "INTERVIEW_STATE_HELD": "已约谈", "INTERVIEW_STATE_FOLLOWED_UP": "已回访",
}
