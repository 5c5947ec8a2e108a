package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// uuidOf makes a request id from a test's stamp and a serial, so that a
// retried call is the same call.
func uuidOf(stamp int64, serial int) string {
	return fmt.Sprintf("%08d-%04d-4000-8000-000000000000", 40000000+stamp, serial)
}

// unitOf is a resident unit the tests read.
type unitOf struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	CommunityID string `json:"communityId"`
}

// tongjiangUnit is a demo unit of Tongjiang with its community and the
// names of the community's path below the district.
func tongjiangUnit(t *testing.T, admin *api) (org, unitOf, []string) {
	t.Helper()
	district := admin.district("GJ-TJ")
	var page struct {
		Units []unitOf `json:"residentUnits"`
	}
	admin.do(http.MethodGet, "/v1/resident-units?pageSize=5&ancestorId="+district.ID, "", &page)
	if len(page.Units) == 0 {
		t.Fatal("no resident unit in Tongjiang")
	}
	u := page.Units[0]
	var community org
	for _, o := range admin.orgs(url.Values{"ancestorId": {district.ID}, "kind": {"ORGANISATION_KIND_COMMUNITY"}}) {
		if o.ID == u.CommunityID {
			community = o
		}
	}
	return district, u, append([]string{cityName, tongjiangName}, namesOf(admin, community, district)...)
}

func TestAUnitContactSignsInForAUnitPickedByName(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	_, u, scope := tongjiangUnit(t, admin)
	p := openBrowser(t, "unit-contact")
	p.open("/sign-in", "#signin-submit")
	p.chooseText("#signin-role", "驻区单位联系人")
	for i, name := range scope {
		p.chooseText(fmt.Sprintf("#scope-%d", i), name)
		p.settled("fieldset.scope")
	}
	p.chooseText("#signin-unit", u.Name)
	p.checkAccessibility("the sign-in page with its unit picker")
	p.click("#signin-submit")
	p.run("reach the console", chromedp.WaitVisible("#main", chromedp.ByQuery))
	var unit string
	p.eval("read the session", `fetch('/auth/session').then(r => r.json()).then(s => s.role + ' ' + s.unitId)`, &unit)
	if unit != "unit_contact "+u.ID {
		t.Errorf("the session is %q, want the unit contact of %s", unit, u.ID)
	}
}

func TestAnAgreementNamesItsUnitByPickingIt(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	community := admin.orgs(url.Values{"ancestorId": {district.ID}, "kind": {"ORGANISATION_KIND_COMMUNITY"}})[4]
	da := sys.api(t, "district_admin", district.ID, "")
	stamp := time.Now().UnixNano() % 100000
	name := fmt.Sprintf("选择测试单位%d", stamp)
	var unit struct {
		ResidentUnit unitOf `json:"residentUnit"`
	}
	da.do(http.MethodPost, "/v1/resident-units", fmt.Sprintf(`{"requestId":%q,"residentUnit":{"name":%q,"type":"UNIT_TYPE_PRIVATE_ENTERPRISE","communityId":%q,"address":"金昌路9号","headCount":30,"partyMemberCount":3}}`,
		uuidOf(stamp, 1), name, community.ID), &unit)

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.open("/agreements/new?community="+community.ID, "#agr-save")
	start := time.Now().Format(time.DateOnly)
	p.typeInto("#agr-start", start)
	p.typeInto("#agr-end", time.Now().AddDate(3, 0, 0).Format(time.DateOnly))
	p.typeInto("#agr-signed", start)
	p.typeInto("#agr-goal-0", "共建文明单位")
	p.chooseListed("#agr-area-0", "文明宣传共促")
	p.typeInto("#agr-communityContact-name", "李梅")
	p.typeInto("#agr-unitContact-name", "王强")
	// Saved only once the form holds all it was given and the unit picker
	// has its units: a click that lands while the area's list is still
	// open, or keys lost under load, would fail on another field.
	p.waitJS("the form filled in", fmt.Sprintf(`document.querySelector('#agr-start').value === %q && document.querySelector('#agr-end').value === %q
		&& document.querySelector('#agr-signed').value === %q && document.querySelector('#agr-unitContact-name').value === '王强'
		&& document.querySelector('#agr-area-0')?.closest('.el-select')?.textContent.includes('文明宣传共促')`,
		start, time.Now().AddDate(3, 0, 0).Format(time.DateOnly), start))
	p.settled("fieldset.gj-pick")
	p.click("#agr-save")
	p.waitJS("the missing unit named beside its picker", `!!document.querySelector('#agr-unit')?.closest('fieldset')?.querySelector('.gj-field-error')?.textContent.trim()`)
	p.chooseText("#agr-unit", name)
	p.click("#agr-save")
	p.waitJS("the agreement's page", `/^\/agreements\/[0-9a-f-]{36}$/.test(location.pathname)`)
	var where string
	p.run("read its address", chromedp.Location(&where))
	var got struct {
		Agreement struct {
			UnitID string `json:"unitId"`
		} `json:"agreement"`
	}
	da.do(http.MethodGet, "/v1/agreements/"+where[strings.LastIndex(where, "/")+1:], "", &got)
	if got.Agreement.UnitID != unit.ResidentUnit.ID {
		t.Errorf("the agreement names unit %q, want %q picked by its name", got.Agreement.UnitID, unit.ResidentUnit.ID)
	}
}

func TestAResidentsRequestIsHandledToItsEndAndCountsInTheMonthsRates(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district, u, _ := tongjiangUnit(t, admin)
	da := sys.api(t, "district_admin", district.ID, "")
	stamp := time.Now().UnixNano() % 100000
	title := fmt.Sprintf("楼道灯不亮%d", stamp)
	var req struct {
		ServiceRequest struct {
			ID string `json:"id"`
		} `json:"serviceRequest"`
	}
	da.do(http.MethodPost, "/v1/service-requests", fmt.Sprintf(`{"requestId":%q,"serviceRequest":{"communityId":%q,"kind":"SERVICE_REQUEST_KIND_ENQUIRY","channel":"SERVICE_REQUEST_CHANNEL_PHONE","title":%q,"content":"三单元楼道灯坏了","residentName":"张大爷","residentPhone":"13912345678"}}`,
		uuidOf(stamp, 2), u.CommunityID, title), &req)
	id := req.ServiceRequest.ID

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, tongjiangName}, "")
	p.open("/service-requests", ".request-table")
	p.waitJS("the request listed", fmt.Sprintf(`document.querySelector('.request-table')?.textContent.includes(%q)`, title))
	p.checkAccessibility("the residents' requests")
	file := p.download(func() { p.click(".export-button") })
	book, err := excelize.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows("群众诉求")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows[1:] {
		if r[0] == title && r[1] == "咨询" && r[6] == "已登记" {
			found = true
		}
	}
	if rows[0][0] != "诉求" || !found {
		t.Errorf("the workbook (headings %v) has no row of %s as a received enquiry", rows[0], title)
	}

	p.open("/service-requests/"+id, "#req-assign")
	p.checkAccessibility("a resident's request")
	p.pickID("#req-assign-to", u.CommunityID)
	p.click("#req-assign")
	p.waitJS("assigned", `document.querySelector('.request-state')?.textContent.trim() === '已派单'`)
	p.click("#req-accept")
	p.waitJS("accepted", `document.querySelector('.request-state')?.textContent.trim() === '办理中'`)
	p.click("#req-answer-send")
	p.waitJS("the empty answer named beside its field", `!!document.querySelector('#req-answer')?.closest('.el-form-item')?.querySelector('.el-form-item__error')`)
	p.typeInto("#req-answer", "已更换灯泡")
	p.click("#req-answer-send")
	p.waitJS("answered", `document.querySelector('.request-state')?.textContent.trim() === '已答复'`)
	p.click("#req-rate")
	p.waitJS("rated", `document.querySelector('.request-state')?.textContent.trim() === '已评价'`)
	p.click("#req-close")
	p.waitJS("closed", `document.querySelector('.request-state')?.textContent.trim() === '已办结'`)

	p.open("/service-requests/rates", ".rates-table")
	p.waitJS("the chart drawn", `document.querySelector('.rates-chart')?.dataset.rendered === 'true'`)
	p.checkAccessibility("the request rates")
	var rates struct {
		Total struct {
			Received int `json:"received"`
		} `json:"total"`
	}
	da.do(http.MethodGet, "/v1/service-requests:rates?"+url.Values{"organisationId": {district.ID}, "month": {time.Now().Format("2006-01")}}.Encode(), "", &rates)
	var shown string
	p.eval("read the total row", `[...document.querySelectorAll('.rates-table tbody tr')].pop().children[1].textContent.trim()`, &shown)
	if shown != fmt.Sprint(rates.Total.Received) || rates.Total.Received == 0 {
		t.Errorf("the table's total received is %q, the API's %d", shown, rates.Total.Received)
	}
}

func TestAVenueIsBookedInItsWeekAndRefusalsSayWhy(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-TJ")
	var venues struct {
		Venues []struct {
			ID       string `json:"id"`
			UnitID   string `json:"unitId"`
			Capacity int    `json:"capacity"`
		} `json:"venues"`
	}
	admin.do(http.MethodGet, "/v1/venues?pageSize=20&ancestorId="+district.ID, "", &venues)
	var venue, unit string
	for _, v := range venues.Venues {
		if v.Capacity >= 10 {
			venue, unit = v.ID, v.UnitID
			break
		}
	}
	if venue == "" {
		t.Fatal("no venue for ten in Tongjiang")
	}
	// A Wednesday one to two weeks ahead (no official holiday falls on one
	// in the weeks the tests run), the slot from the test's clock so that
	// runs against one system do not meet.
	day := time.Now().AddDate(0, 0, 8)
	for day.Weekday() != time.Wednesday {
		day = day.AddDate(0, 0, 1)
	}
	date := day.Format(time.DateOnly)
	// 01:00 to 08:59 in the browser's zone (UTC on the test machines) is
	// still the same day in the city's; a unit books its own venue at any
	// hour of a working day.
	hour := 1 + int(time.Now().UnixNano()%7)
	from, to := fmt.Sprintf("%02d:%02d", hour, time.Now().Minute()/2*2), fmt.Sprintf("%02d:%02d", hour+1, time.Now().Minute()/2*2)

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, tongjiangName}, "")
	p.open("/venues", ".venue-table")
	p.checkAccessibility("the venues")
	book := func(date string) {
		p.open("/venues/"+venue, "#book-save")
		p.pickID("#book-unit", unit)
		p.typeInto("#book-date", date)
		p.typeInto("#book-from", from)
		p.typeInto("#book-to", to)
		p.typeInto("#book-purpose", "党员学习")
		p.typeInto("#book-contact", "王强")
		p.click("#book-save")
	}
	book(date)
	p.waitJS("the booking in its week", fmt.Sprintf(`[...document.querySelectorAll('li[data-date=%q] .booking')].some(b => b.textContent.includes(%q))`, date, from+"–"+to))
	p.checkAccessibility("a venue's week")

	book(date)
	p.waitJS("the overlap refused in plain words", `document.querySelector('.booking-refusal')?.textContent.includes('该时段已有预约')`)
	p.waitJS("beside the time", `!!document.querySelector('#book-date')?.closest('.el-form-item')?.querySelector('.el-form-item__error')`)

	book(day.AddDate(0, 0, 3).Format(time.DateOnly)) // the Saturday: residents and communities only
	p.waitJS("the rest day refused by the rule", `document.querySelector('.booking-refusal')?.textContent.includes('1+3')`)
}

func TestAVolunteerTeamShowsItsVolunteersAndHours(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-TJ")
	var teams struct {
		Teams []struct {
			ID    string  `json:"id"`
			Name  string  `json:"name"`
			Count int     `json:"volunteerCount"`
			Hours float64 `json:"serviceHours"`
		} `json:"volunteerTeams"`
	}
	admin.do(http.MethodGet, "/v1/volunteer-teams?pageSize=5&ancestorId="+district.ID, "", &teams)
	if len(teams.Teams) == 0 {
		t.Fatal("no volunteer team in Tongjiang")
	}
	team := teams.Teams[0]
	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, tongjiangName}, "")
	p.open("/volunteer-teams", ".team-table")
	p.waitJS("the team listed", fmt.Sprintf(`document.querySelector('.team-table')?.textContent.includes(%q)`, team.Name))
	p.checkAccessibility("the volunteer teams")
	p.open("/volunteer-teams/"+team.ID, ".team-count")
	p.settled(".gj-card[aria-busy]")
	var rows int
	p.eval("count the volunteers", `document.querySelectorAll('.volunteer-table tbody tr').length`, &rows)
	if rows != team.Count {
		t.Errorf("the team's page lists %d volunteers, the team counts %d", rows, team.Count)
	}
	p.checkAccessibility("a volunteer team")
}

func TestATaskListIsReviewedGradedRankedAndItsBestCommended(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	// Two communities of one street, ranked side by side below it.
	var communities []org
	byStreet := map[string][]org{}
	for _, c := range admin.orgs(url.Values{"ancestorId": {district.ID}, "kind": {"ORGANISATION_KIND_COMMUNITY"}}) {
		byStreet[c.ParentID] = append(byStreet[c.ParentID], c)
		if len(byStreet[c.ParentID]) == 2 {
			communities = byStreet[c.ParentID]
			break
		}
	}
	if communities == nil {
		t.Fatal("no street of Jinchang has two communities")
	}
	da := sys.api(t, "district_admin", district.ID, "")
	stamp := time.Now().UnixNano() % 100000
	// A quarter of last year or the year before (each graded once: runs
	// against one system seldom meet).
	period := fmt.Sprintf("%d-Q%d", time.Now().Year()-1-int(stamp/4%2), 1+stamp%4)
	var list struct {
		TaskList struct {
			ID string `json:"id"`
		} `json:"taskList"`
	}
	for i, c := range communities[:2] {
		da.do(http.MethodPost, "/v1/assessment/task-lists?requestId="+uuidOf(stamp, 10+i), fmt.Sprintf(`{"organisationId":%q,"period":%q,"department":"组织部","title":"党建任务清单%d-%d","tasks":[{"code":"T1","kind":"TASK_KIND_TASK","title":"开展集中活动","weight":100,"scoring":"SCORING_METHOD_GRADED"}]}`,
			c.ID, period, stamp, i), &list)
	}

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.open("/assessment/task-lists/"+list.TaskList.ID, "#ev-submit")
	p.typeInto("#ev-description", "本季度开展集中活动三次")
	p.click("#ev-submit")
	p.waitJS("the evidence listed", `document.querySelectorAll('.evidence-item').length === 1`)
	var evID string
	p.eval("read the evidence's review form", `document.querySelector('.evidence-item form button').id.replace('ev-review-', '')`, &evID)
	p.typeInto("#ev-note-"+evID, "材料齐全")
	p.click("#ev-review-" + evID)
	p.waitJS("reviewed", `document.querySelector('.evidence-item .evidence-state')?.textContent.trim() === '已评审'`)
	p.checkAccessibility("a task list")

	p.open("/assessment?org="+communities[0].ParentID, "#asmt-grade")
	p.chooseText("#asmt-period", period)
	p.click("#asmt-grade")
	p.waitJS("graded", `document.querySelector('[role=status]')?.textContent.includes('已评定')`)
	p.waitJS("the ranking drawn", `document.querySelector('.chart-ranking')?.dataset.rendered === 'true'`)
	p.checkAccessibility("the assessment and its ranking")
	var ranked int
	p.eval("count the ranking's rows", `document.querySelectorAll('.ranking-table tbody tr').length`, &ranked)
	if ranked < 2 {
		t.Errorf("the ranking shows %d organisations, want the two graded", ranked)
	}

	// The district proposes a person; the city approves and publishes.
	year := time.Now().Year() - 1 - int(stamp/4%2)
	reason := fmt.Sprintf("带头开展志愿服务%d", stamp)
	p.open("/commendations", "#comm-propose")
	p.chooseText("#comm-kind", "优秀个人")
	p.pickID("#comm-org", communities[0].ID)
	m := admin.members(url.Values{"ancestorId": {communities[0].ID}})[0]
	p.typeInto("#comm-member-q", m.Name)
	p.pickID("#comm-member", m.ID)
	p.typeInto("#comm-person", m.Name)
	p.typeInto("#comm-reason", reason)
	p.eval("set the year", fmt.Sprintf(`(() => { const e = document.querySelector('#comm-year'); e.value = '%d'; e.dispatchEvent(new Event('input', { bubbles: true })); e.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`, year), nil)
	p.click("#comm-propose")
	p.waitJS("proposed", fmt.Sprintf(`document.querySelector('.commendation-table')?.textContent.includes(%q)`, reason))
	p.checkAccessibility("the commendations")

	city := openBrowser(t, "city-admin")
	city.signIn("市委组织部", nil, "")
	city.open("/commendations", "#comm-load")
	city.eval("set the year", fmt.Sprintf(`(() => { const e = document.querySelector('#comm-year'); e.value = '%d'; e.dispatchEvent(new Event('input', { bubbles: true })); e.dispatchEvent(new Event('change', { bubbles: true })); return true; })()`, year), nil)
	city.click("#comm-load")
	city.waitJS("the proposal listed", fmt.Sprintf(`document.querySelector('.commendation-table')?.textContent.includes(%q)`, reason))
	city.loaded()
	city.run("approve it", chromedp.Click(fmt.Sprintf(`//tr[contains(., %q)]//button[starts-with(@id, "comm-approve-")]`, reason), chromedp.BySearch))
	city.waitJS("approved", fmt.Sprintf(`[...document.querySelectorAll('.commendation-table tr')].some(r => r.textContent.includes(%q) && r.querySelector('.commendation-state')?.textContent.trim() === '已批准')`, reason))
	city.typeInto("#comm-title", fmt.Sprintf("关于表彰%d年度先进的决定", year))
	city.click("#comm-publish")
	city.waitJS("published", fmt.Sprintf(`[...document.querySelectorAll('.commendation-table tr')].some(r => r.textContent.includes(%q) && r.querySelector('.commendation-state')?.textContent.trim() === '已发布')`, reason))
}
