package demo

import orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"

// The demo city is one city whose districts are named after the places of
// the source documents, each keeping that document's figures: Jinchang's 36
// communities with 1,952 members (004), Tongjiang's 9 communities with 160
// resident units, 2,174 in-service members, 120 grid leaders and 10,004 m² of
// premises (002), Shiquan's 4 communities with 8,332 households and aged
// secretaries (000), Fengxiang's demonstration communities (001).

const (
	// CityName is the demo city's committee.
	CityName = "中共共建市委员会"
	// CityCode is the demo city's code; a city with another code is not the demo's.
	CityCode = "GJ"
)

type districtDef struct {
	key, name, code string
	// prefix names the district's own offices ("同江县财政局").
	prefix  string
	streets []streetDef
	style   style
}

// style is what the communities of one district have in common.
type style struct {
	// form, when set, is the form of every community (Tongjiang's nine are
	// general branches); otherwise it follows the member count.
	form           orgv1.CommunityForm
	annualFund     int64
	stipend        int64
	centres        []string
	secretaryPosts []orgv1.ConcurrentPost
	households     [2]int // per grid, when the community does not fix them
	area           [2]int // premises in m², when the community does not fix it
}

type streetDef struct {
	name        string
	town        bool
	communities []communityDef
	towers      []string // building branches (楼宇党支部)
	stations    []string // liaison stations (党建联络站)
	temporary   *temporaryDef
	units       int // resident units whose party organisations sit here
	unitMembers int // their in-service members, in total
}

type communityDef struct {
	name       string // without 社区
	members    int
	grids      int
	households int // in total over the grids; 0 draws per grid
	area       int // premises in m²; 0 draws from the district's style
	flaws      flaw
	// special are branches the source documents name, besides the drawn ones.
	special []specialBranch
}

type specialBranch struct {
	name  string
	basis orgv1.BranchBasis
}

type temporaryDef struct {
	name, reason, region string
	members              int
}

// The centres of "one station, three centres" (一站三中心, 002).
var oneStationThreeCentres = []string{"社区工作站", "党群活动中心", "便民服务中心", "文化教育中心"}

var districts = []districtDef{
	{
		key: "jc", name: "中共金昌区委员会", code: "GJ-JC", prefix: "金昌区",
		style: style{
			annualFund: 60000, stipend: 1800,
			centres:        []string{"党员活动室", "居民学校", "图书阅览室"},
			secretaryPosts: []orgv1.ConcurrentPost{orgv1.ConcurrentPost_CONCURRENT_POST_RESIDENTS_COMMITTEE_DIRECTOR},
			households:     [2]int{260, 620}, area: [2]int{210, 460},
		},
		streets: []streetDef{
			{name: "滨河路街道", stations: []string{"滨河路街道非公企业党建联络站"}, communities: []communityDef{
				{name: "河雅", members: 38, grids: 3},
				{name: "龙泰", members: 46, grids: 3},
				{name: "滨河", members: 82, grids: 4},
				{name: "金岭", members: 29, grids: 2, flaws: smallTeam},
				{name: "兰州路", members: 57, grids: 3, flaws: noGeneralBranch},
				{name: "新村", members: 44, grids: 3, flaws: notDirector},
			}},
			{name: "新华路街道", towers: []string{"金昌国际大厦"}, communities: []communityDef{
				{name: "新华", members: 95, grids: 4},
				{name: "金兴", members: 41, grids: 3, flaws: largeTeam},
				{name: "百花", members: 36, grids: 2},
				{name: "友好", members: 63, grids: 3, flaws: noBranch},
				{name: "文化", members: 48, grids: 3},
				{name: "利民", members: 33, grids: 2},
			}},
			{name: "北京路街道", towers: []string{"紫金商务中心"}, communities: []communityDef{
				{name: "北京路", members: 121, grids: 5},
				{name: "天津路", members: 45, grids: 3, flaws: coverageGap},
				{name: "上海路", members: 39, grids: 3, flaws: oldDeputy},
				{name: "和平", members: 68, grids: 3, flaws: noGeneralBranch | notDirector},
				{name: "金穗", members: 27, grids: 2},
				{name: "紫金", members: 50, grids: 3},
			}},
			{name: "桂林路街道", communities: []communityDef{
				{name: "桂林路", members: 74, grids: 4},
				{name: "南湖", members: 42, grids: 3},
				{name: "花园", members: 35, grids: 2, area: 150, flaws: smallPremises},
				{name: "龙首", members: 58, grids: 3, flaws: noBranch | missedQuarter},
				{name: "丽景", members: 31, grids: 2, flaws: lowEducation},
				{name: "迎宾", members: 47, grids: 3},
			}},
			{name: "金川路街道", units: 8, unitMembers: 146,
				temporary: &temporaryDef{
					name:    "金川路街道流入流动党员临时党支部",
					reason:  "外来务工党员在金川有色金属产业园区项目工地务工，组织关系暂未转入，就近编入临时党支部过组织生活",
					region:  "四川省广元市",
					members: 18,
				},
				communities: []communityDef{
					{name: "金川路", members: 136, grids: 5},
					{name: "矿山", members: 88, grids: 4, flaws: agedExcepted},
					{name: "冶金", members: 77, grids: 4, flaws: coverageGap},
					{name: "镍都", members: 52, grids: 3, flaws: noGeneralBranch},
					{name: "朝阳", members: 40, grids: 3, flaws: noCollege},
					{name: "金水", members: 34, grids: 2, area: 96, flaws: smallPremises | missingEquipment},
				}},
			{name: "广州路街道", communities: []communityDef{
				{name: "广州路", members: 69, grids: 4},
				{name: "深圳路", members: 43, grids: 3, flaws: missedQuarter},
				{name: "昌盛", members: 37, grids: 2},
				{name: "康乐", members: 49, grids: 3, flaws: missingEquipment},
				{name: "宝林", members: 30, grids: 2, flaws: oldSecretary},
				{name: "金湖", members: 48, grids: 3},
			}},
		},
	},
	{
		key: "tj", name: "中共同江县委员会", code: "GJ-TJ", prefix: "同江县",
		style: style{
			form:       orgv1.CommunityForm_COMMUNITY_FORM_GENERAL_BRANCH,
			annualFund: 100000, stipend: 3175, centres: oneStationThreeCentres,
			// 党组织书记、居委会主任、工作站站长"一肩挑" (002).
			secretaryPosts: []orgv1.ConcurrentPost{
				orgv1.ConcurrentPost_CONCURRENT_POST_RESIDENTS_COMMITTEE_DIRECTOR,
				orgv1.ConcurrentPost_CONCURRENT_POST_SERVICE_STATION_HEAD,
			},
			households: [2]int{180, 420},
		},
		streets: []streetDef{
			{name: "东城街道", units: 92, unitMembers: 1262, towers: []string{"同江商贸城"},
				stations: []string{"东城街道商圈党建联络站"}, communities: []communityDef{
					{name: "通江", members: 112, grids: 14, area: 1380},
					{name: "正阳", members: 96, grids: 13, area: 1126},
					{name: "东方红", members: 143, grids: 14, area: 1452},
					{name: "向阳", members: 78, grids: 13, area: 987},
					{name: "兴华", members: 87, grids: 13, area: 1064},
				}},
			{name: "西城街道", units: 68, unitMembers: 912, communities: []communityDef{
				{name: "富民", members: 69, grids: 13, area: 896},
				{name: "拥军", members: 121, grids: 14, area: 1218},
				{name: "赫哲", members: 58, grids: 13, area: 842, flaws: coverageGap},
				{name: "江畔", members: 104, grids: 13, area: 1039, flaws: missedQuarter},
			}},
		},
	},
	{
		key: "sq", name: "中共石泉县委员会", code: "GJ-SQ", prefix: "石泉县",
		style: style{
			annualFund: 8000, stipend: 120, centres: []string{"党员活动室"},
			secretaryPosts: []orgv1.ConcurrentPost{orgv1.ConcurrentPost_CONCURRENT_POST_RESIDENTS_COMMITTEE_DIRECTOR},
			area:           [2]int{200, 260},
		},
		streets: []streetDef{
			{name: "石泉县城关镇", town: true, units: 6, unitMembers: 88,
				temporary: &temporaryDef{
					name:    "城关镇流入党员临时党支部",
					reason:  "流入县城经商务工的党员，持流动党员活动证在居住地参加组织生活",
					region:  "安康市汉阴县、紫阳县",
					members: 23,
				},
				communities: []communityDef{
					{name: "老街", members: 146, grids: 9, households: 2684, flaws: oldSecretary | coverageGap,
						special: []specialBranch{{"原县缫丝厂、栲胶厂改制职工党支部", orgv1.BranchBasis_BRANCH_BASIS_UNIT}}},
					{name: "西坝", members: 118, grids: 8, households: 2217, area: 85,
						flaws:   noGeneralBranch | agedExcepted | smallPremises,
						special: []specialBranch{{"原县纤维板厂、纸厂改制职工党支部", orgv1.BranchBasis_BRANCH_BASIS_UNIT}}},
					{name: "江南", members: 97, grids: 7, households: 1985, flaws: oldSecretary | missingEquipment,
						special: []specialBranch{{"个体工商户党支部", orgv1.BranchBasis_BRANCH_BASIS_TRADE}}},
					{name: "东坝", members: 64, grids: 5, households: 1446, area: 60,
						flaws: noGeneralBranch | oldSecretary | smallPremises | missingEquipment},
				}},
		},
	},
	{
		key: "fx", name: "中共凤翔县委员会", code: "GJ-FX", prefix: "凤翔县",
		style: style{
			annualFund: 30000, stipend: 600, centres: []string{"党员活动室", "警务室", "医务室", "劳动保障工作站"},
			secretaryPosts: []orgv1.ConcurrentPost{orgv1.ConcurrentPost_CONCURRENT_POST_RESIDENTS_COMMITTEE_DIRECTOR},
			households:     [2]int{300, 520}, area: [2]int{240, 380},
		},
		streets: []streetDef{
			{name: "凤翔县城关镇", town: true, units: 5, unitMembers: 61, communities: []communityDef{
				{name: "秦凤路", members: 48, grids: 4},
				{name: "东关", members: 44, grids: 3},
				{name: "东湖路", members: 39, grids: 3},
				{name: "南街", members: 36, grids: 3, flaws: smallTeam | noCollege},
				{name: "西街", members: 33, grids: 3, flaws: missingEquipment | missedQuarter},
			}},
		},
	},
}

// demonstrationSites are the communities chosen in 001: 秦凤路 for the city,
// 东关 and 东湖路 for the county.
var demonstrationSites = []struct {
	district, community, level string
	sponsorTitle               string
}{
	{"fx", "秦凤路", "市级", "市委组织部副部长"},
	{"fx", "东关", "县级", "县委组织部部长"},
	{"fx", "东湖路", "县级", "县民政局局长"},
}

// standingCommittee are the nine city leaders, each linked to one of
// Tongjiang's nine communities (002: 9名市委常委联系包保9个社区).
var standingCommittee = []string{
	"市委书记",
	"市委副书记、市长",
	"市委常委、常务副市长",
	"市委常委、组织部部长",
	"市委常委、宣传部部长",
	"市委常委、政法委书记",
	"市委常委、纪委书记、监委主任",
	"市委常委、统战部部长",
	"市委常委、秘书长",
}

var (
	estateNames = []string{
		"龙泰花园", "金岭小区", "兴华家园", "阳光新城", "滨河名苑", "和谐家园", "锦绣华庭", "幸福里",
		"翠湖苑", "康乐小区", "明珠花园", "紫金苑", "丽水湾", "福安小区", "文苑小区", "东方新村",
		"建设小区", "向阳小区", "书香苑", "春晖小区", "玉泉小区", "嘉和园", "世纪花园", "怡景园",
	}
	trades   = []string{"个体工商户", "物业服务", "快递物流", "家政服务", "餐饮服务", "商贸市场"}
	socials  = []string{"老年协会", "志愿者协会", "养老服务中心", "社区文艺队", "业主委员会", "书画协会"}
	gapKinds = []orgv1.CoveragePointKind{
		orgv1.CoveragePointKind_COVERAGE_POINT_KIND_ESTATE,
		orgv1.CoveragePointKind_COVERAGE_POINT_KIND_BUILDING,
		orgv1.CoveragePointKind_COVERAGE_POINT_KIND_SOCIAL_ORGANISATION,
	}
)

// Resident units (驻区单位) by type; "%s" is the district's prefix.
var unitPools = []struct {
	unitType string
	names    []string
}{
	{"党政机关", []string{
		"%s委办公室", "%s政府办公室", "%s委组织部", "%s委宣传部", "%s委统战部", "%s委政法委员会",
		"%s纪委监委", "%s人大常委会机关", "%s政协机关", "%s委党校", "%s发展和改革局", "%s财政局",
		"%s税务局", "%s公安局", "%s人力资源和社会保障局", "%s民政局", "%s住房和城乡建设局",
		"%s自然资源局", "%s生态环境局", "%s教育局", "%s文化广电和旅游局", "%s卫生健康局",
		"%s市场监督管理局", "%s司法局", "%s审计局", "%s统计局", "%s交通运输局", "%s水务局",
		"%s农业农村局", "%s商务局", "%s应急管理局", "%s退役军人事务局", "%s医疗保障局", "%s信访局",
		"%s总工会", "共青团%s委", "%s妇女联合会", "%s残疾人联合会", "%s科学技术协会", "%s工商业联合会",
		"%s人民法院", "%s人民检察院", "%s工业和信息化局", "%s林业和草原局", "%s气象局",
	}},
	{"事业单位", []string{
		"%s第一中学", "%s第二中学", "%s第三中学", "%s实验小学", "%s第一小学", "%s第二小学",
		"%s第三小学", "%s职业技术学校", "%s第一幼儿园", "%s人民医院", "%s中医医院", "%s妇幼保健院",
		"%s疾病预防控制中心", "%s图书馆", "%s文化馆", "%s融媒体中心", "%s社会福利中心",
		"%s就业服务中心", "%s供热服务中心", "%s不动产登记中心",
	}},
	{"国有企业", []string{
		"国网%s供电公司", "中国移动%s分公司", "中国联通%s分公司", "中国电信%s分公司",
		"中国工商银行%s支行", "中国农业银行%s支行", "中国建设银行%s支行", "中国银行%s支行",
		"%s农村商业银行", "中国邮政储蓄银行%s支行", "中国人寿%s支公司", "中国人民财产保险%s支公司",
		"中国石油%s分公司", "中国邮政%s分公司", "%s城市建设投资有限公司", "%s水务集团有限公司",
		"%s国家粮食储备库", "%s烟草专卖局", "%s公共交通有限公司", "%s港务有限公司",
	}},
	{"社会组织", []string{
		"%s个体劳动者协会", "%s私营企业协会", "%s慈善总会", "%s志愿者协会", "%s老年体育协会",
		"%s书法家协会", "%s红十字会", "%s物流行业协会", "%s餐饮行业协会", "%s家政服务协会",
		"%s律师协会", "%s会计学会", "%s民间艺术团", "%s个体私营企业党建指导站", "%s新阶层人士联谊会",
	}},
}

var (
	firmWords = []string{"鑫源", "华宇", "兴达", "恒通", "宏图", "金港", "龙江", "北疆", "东极", "三江",
		"江源", "丰泽", "瑞祥", "顺达", "汇通", "佳禾", "博远", "盛世", "天成", "永盛"}
	firmTrades = []string{"商贸有限公司", "建筑工程有限公司", "物流有限公司", "物业管理有限公司",
		"农业开发有限公司", "餐饮管理有限公司", "超市有限公司", "汽车销售服务有限公司", "食品有限公司", "酒店管理有限公司"}
)

// Topics of organisation life, by kind.
var (
	themedDayTopics = []string{
		"新春走访慰问困难党员和老党员", "学雷锋志愿服务进小区", "清明祭扫革命烈士纪念碑", "社区环境卫生集中整治",
		"重温入党誓词", "七一庆祝建党主题党日", "党员亮身份、践承诺", "为民服务我先行：义诊和法律咨询",
		"国庆主题升旗仪式", "重阳节敬老爱老志愿服务", "冬季消防安全入户宣传", "年终党员大走访",
	}
	concentratedTopics = []string{
		"联学共建集中活动：驻区单位与社区同上一堂党课", "集中活动：网格党小组+网格长+在职党员入户走访",
		"集中活动：美化绿化家园·共建文明小区", "集中活动：邻里相助一家亲百家宴",
	}
	lectureTopics = []string{
		"书记讲党课：社区党组织如何服务群众", "党课：党章和党内法规学习", "党课：身边的先进典型",
		"党课：流动党员和在职党员教育管理",
	}
	membersMeetingTopics = []string{
		"讨论发展党员和预备党员转正", "通报党费收缴和使用情况", "学习传达上级会议精神", "研究年度为民办实事项目",
	}
	committeeTopics = []string{
		"研究本月工作安排", "研究困难党员帮扶名单", "研究网格员队伍调整", "研究共驻共建议定事项落实",
		"研究党员分类管理台账", "研究季度集中活动方案",
	}
	absenceReasons = []string{"外出务工", "生病住院", "单位值班", "在外地照顾子女", "", "出差", ""}
)
