package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTheCoBuildingAndSupervisionPagesAreAccessible opens every list,
// form and page of the two areas as a district administrator and checks
// each with axe-core, then reads one in English.
func TestTheCoBuildingAndSupervisionPagesAreAccessible(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	community := admin.orgs(url.Values{"ancestorId": {district.ID}, "kind": {"ORGANISATION_KIND_COMMUNITY"}})[3]
	da := sys.api(t, "district_admin", district.ID, "")
	stamp := time.Now().UnixNano() % 100000
	var unit struct {
		ResidentUnit struct {
			ID string `json:"id"`
		} `json:"residentUnit"`
	}
	da.do(http.MethodPost, "/v1/resident-units", fmt.Sprintf(`{"requestId":"%d-3000-0000-4000-8000-000000000000","residentUnit":{"name":"无障碍测试单位%d","type":"UNIT_TYPE_INSTITUTION","communityId":%q,"address":"金昌路1号","headCount":80,"partyMemberCount":12}}`,
		30000000+stamp, stamp, community.ID), &unit)
	start := time.Now().AddDate(0, -4, 0).Format("2006-01") + "-01"
	var agreement struct {
		Agreement struct {
			ID string `json:"id"`
		} `json:"agreement"`
	}
	da.do(http.MethodPost, "/v1/agreements", fmt.Sprintf(`{"requestId":"%d-3001-0000-4000-8000-000000000000","agreement":{"communityId":%q,"unitId":%q,"startDate":%q,"endDate":%q,"signedDate":%q,"goals":[{"area":"AREA_CIVILITY","text":"共建文明楼院"}],"communityContact":{"name":"李梅","phone":"13900000000"},"unitContact":{"name":"王强","phone":"13900000001"}}}`,
		30000000+stamp, community.ID, unit.ResidentUnit.ID, start, time.Now().AddDate(2, 0, 0).Format(time.DateOnly), start), &agreement)
	var round struct {
		Round struct {
			ID string `json:"id"`
		} `json:"round"`
	}
	now := time.Now()
	da.do(http.MethodPost, "/v1/inspection-rounds", fmt.Sprintf(`{"districtId":%q,"year":%d,"quarter":%d,"name":"无障碍测试轮次%d","checklist":[{"code":"B1","text":"阵地建设"}]}`,
		district.ID, now.Year(), (int(now.Month())-1)/3+1, stamp), &round)
	da.do(http.MethodPost, "/v1/inspection-rounds/"+round.Round.ID+"/groups", fmt.Sprintf(`{"name":"第二组","inspectors":["inspector"],"organisationIds":[%q]}`, community.ID), nil)
	var interview struct {
		Interview struct {
			ID string `json:"id"`
		} `json:"interview"`
	}
	da.do(http.MethodPost, "/v1/interviews", fmt.Sprintf(`{"organisationId":%q,"reason":"连续两季度未开展集中活动","dueBy":%q}`, community.ID, now.AddDate(0, 0, 14).Format(time.DateOnly)), &interview)

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	for _, page := range []struct{ path, ready string }{
		{"/resident-units/new", "#unit-save"},
		{"/resident-units/" + unit.ResidentUnit.ID, ".months li"},
		{"/agreements", ".agreement-table"},
		{"/agreements/new", "#agr-save"},
		{"/agreements/" + agreement.Agreement.ID, "#agr-renew"},
		{"/unit-reports", ".report-table"},
		{"/unit-reports/missed", ".missed-table"},
		{"/unit-reports/new?unit=" + unit.ResidentUnit.ID + "&community=" + community.ID, "#rep-save"},
		{"/joint-meetings", ".meeting-table"},
		{"/joint-meetings/new", "#mtg-save"},
		{"/ledger-items", ".ledger-table"},
		{"/joint-activities", ".activity-table"},
		{"/joint-activities/new", "#act-save"},
		{"/rectification-items", ".item-table"},
		{"/rules", ".rule-table"},
		{"/findings", ".finding-list"},
		{"/inspection-rounds", ".round-table"},
		{"/inspection-rounds/" + round.Round.ID, "#finding-record"},
		{"/interviews", ".interview-table"},
		{"/interviews/" + interview.Interview.ID, "#iv-held"},
		{"/service-requests", ".request-table"},
		{"/service-requests/rates", ".rates-table"},
		{"/venues", ".venue-table"},
		{"/volunteer-teams", ".team-table"},
		{"/assessment/task-lists", ".tasklist-table"},
		{"/assessment", "#asmt-grade"},
		{"/commendations", "#comm-propose"},
	} {
		p.open(page.path, page.ready)
		p.waitJS("nothing loading on "+page.path, `document.querySelectorAll('[aria-busy="true"], .el-loading-mask').length === 0`)
		p.checkAccessibility(page.path)
	}

	// The unit's months run from its agreement's first month to last month,
	// none filed yet.
	var months int
	p.open("/resident-units/"+unit.ResidentUnit.ID, ".months li")
	p.eval("count the unit's months", `document.querySelectorAll('.months li[data-state]').length`, &months)
	if months != 4 {
		t.Errorf("the unit shows %d months, want the 4 since its agreement began", months)
	}

	// In English, the same page speaks English.
	p.open("/rectification-items", ".item-table")
	p.run("switch to English", chromedp.Click(`//header//button[normalize-space(.)="English"]`, chromedp.BySearch))
	p.waitJS("the page in English", `document.querySelector('h1')?.textContent.trim() === 'Rectification items'`)
	p.checkAccessibility("the item list in English")
	p.run("switch back", chromedp.Click(`//header//button[normalize-space(.)="中文"]`, chromedp.BySearch))
}
