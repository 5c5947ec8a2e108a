package member

// The rules shared by the presets.
const (
	ruleMobile  = `mobile`
	ruleRetired = `employment_status == "RETIRED"`
	ruleEmploye = `employment_status == "EMPLOYED"`
)

// Presets are the schemes of the three source documents (DOMAIN §2).
// Members of new economic and social organisations (两新组织), and
// veterans, are recognised by a tag among their skills: "两新组织",
// "退役军人"; "mobile" holds while a member of the city has an open mobile
// record (outflow or inflow).
var Presets = []Scheme{
	{
		Name: "五管", Source: "004 金昌市",
		Categories: []SchemeCategory{
			{Code: "assisted", Name: "协管", Rule: ruleMobile,
				Method: "流动党员由流出地和流入地党组织协同管理，发放流动党员活动证，就近参加组织生活"},
			{Code: "joint", Name: "共管", Rule: ruleRetired,
				Method: "离退休党员以社区为主、原单位配合共同管理"},
			{Code: "dual", Name: "双管", Rule: ruleEmploye,
				Method: "在职党员由单位和居住地社区双重管理，到社区报到、认领岗位"},
			{Code: "takeover", Name: "接管",
				Rule:   `employment_status in ["LAID_OFF", "UNEMPLOYED", "STUDENT"] || "退役军人" in skills`,
				Method: "下岗失业、合同期满、未安置的退役军人和未就业的毕业生党员由社区接管，落实“五个一”"},
			{Code: "direct", Name: "直管", Rule: `true`,
				Method: "社区居民党员由社区党组织直接管理"},
		},
	},
	{
		Name: "三知五管", Source: "001 凤翔县",
		Categories: []SchemeCategory{
			{Code: "participating", Name: "参管", Rule: ruleMobile,
				Method: "流动党员参加所在地党组织的管理，知思想、知去向、知状况"},
			{Code: "allied", Name: "联管", Rule: `"两新组织" in skills`,
				Method: "新经济组织和新社会组织中的党员由社区与所在组织联合管理"},
			{Code: "assisted", Name: "协管", Rule: ruleEmploye,
				Method: "在职党员由所在单位管理、社区协助管理"},
			{Code: "takeover", Name: "接管",
				Rule:   `employment_status in ["RETIRED", "STUDENT"] || "退役军人" in skills`,
				Method: "企业退休人员、毕业生和退役军人党员由社区接收管理"},
			{Code: "direct", Name: "直管", Rule: `true`,
				Method: "社区自有党员由社区党组织直接管理"},
		},
	},
	{
		Name: "五类党员分类管理", Source: "000 石泉县",
		Categories: []SchemeCategory{
			{Code: "mobile", Name: "流动党员", Rule: ruleMobile,
				Method: "双向联系：党员定期汇报，组织寄送学习资料和政策"},
			{Code: "elderly", Name: "老年党员", Rule: `age >= 60 || ` + ruleRetired,
				Method: "送学上门、送服务上门"},
			{Code: "jobless", Name: "无业和困难党员",
				Rule:   `employment_status in ["LAID_OFF", "UNEMPLOYED"] || hardship`,
				Method: "帮助再就业，结对帮扶"},
			{Code: "in_service", Name: "在职党员", Rule: ruleEmploye,
				Method: "八小时内单位管理，八小时外社区管理"},
			{Code: "self_employed", Name: "个体党员", Rule: `employment_status == "SELF_EMPLOYED"`,
				Method: "与行业协会联合管理"},
		},
	},
}

// BuiltInDefault is the city's default scheme until one is set: Jinchang's.
var BuiltInDefault = Presets[0]
