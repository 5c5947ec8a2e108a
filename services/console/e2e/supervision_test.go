package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// item is the part of a rectification item the tests read.
type item struct {
	ID             string `json:"id"`
	OrganisationID string `json:"organisationId"`
	Title          string `json:"title"`
	State          string `json:"state"`
	Version        int    `json:"version"`
}

// openItem opens a rectification item by hand for a community of the
// district, as its administrator does, and returns it with the community.
func openItem(t *testing.T, district org, title string) (item, org) {
	t.Helper()
	admin := sys.api(t, "city_admin", "", "")
	community := admin.orgs(url.Values{"ancestorId": {district.ID}, "kind": {"ORGANISATION_KIND_COMMUNITY"}})[0]
	da := sys.api(t, "district_admin", district.ID, "")
	var got struct {
		Item item `json:"item"`
	}
	deadline := time.Now().AddDate(0, 0, 30).Format(time.DateOnly)
	da.do("POST", "/v1/rectification-items", fmt.Sprintf(`{"organisationId":%q,"title":%q,"requiredEvidence":"会议记录和照片","deadline":%q}`,
		community.ID, title, deadline), &got)
	if got.Item.ID == "" || got.Item.State != "ITEM_STATE_OPEN" {
		t.Fatalf("the item opened is %+v, want an open item", got.Item)
	}
	return got.Item, community
}

func TestTheSupervisionDashboardDrawsItsCharts(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	openItem(t, district, fmt.Sprintf("看板测试事项%d", time.Now().UnixNano()%100000))

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.open("/supervision", ".chart-states")
	p.waitJS("the items-by-state chart drawn", `document.querySelector('.chart-states')?.dataset.rendered === 'true'`)
	var painted int
	p.eval("count its painted pixels", `(() => { const c = document.querySelector('.chart-states canvas');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
		for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })()`, &painted)
	if painted < 2000 {
		t.Errorf("the chart painted %d pixels, want a ring", painted)
	}
	p.waitJS("the by-rule and by-level charts drawn", `['.chart-rules', '.chart-levels', '.chart-trend'].every(s => document.querySelector(s)?.dataset.rendered === 'true')`)
	var open string
	p.run("read the open count", chromedp.Text(`.counts .el-statistic__content`, &open, chromedp.ByQuery))
	if strings.TrimSpace(open) == "0" || strings.TrimSpace(open) == "" {
		t.Errorf("the dashboard counts %q open items, want the one just opened at least", open)
	}
	p.checkAccessibility("the supervision dashboard")
}

func TestARectificationItemIsAnsweredByItsOwnerAndAcceptedByAnInspector(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	title := fmt.Sprintf("整改测试事项%d", time.Now().UnixNano()%100000)
	it, community := openItem(t, district, title)

	// The district puts an inspector (signed in without a scope: the subject
	// "inspector") in a group covering the community.
	da := sys.api(t, "district_admin", district.ID, "")
	now := time.Now()
	var round struct {
		Round struct {
			ID string `json:"id"`
		} `json:"round"`
	}
	da.do("POST", "/v1/inspection-rounds", fmt.Sprintf(`{"districtId":%q,"year":%d,"quarter":%d,"name":"浏览器测试轮次%d","checklist":[{"code":"A1","text":"组织生活"}]}`,
		district.ID, now.Year(), (int(now.Month())-1)/3+1, now.UnixNano()%100000), &round)
	da.do("POST", "/v1/inspection-rounds/"+round.Round.ID+"/groups",
		fmt.Sprintf(`{"name":"第一组","inspectors":["inspector"],"organisationIds":[%q]}`, community.ID), nil)

	path := namesOf(admin, community, district)
	owner := openBrowser(t, "community-secretary")
	owner.signIn("社区书记", append([]string{cityName, jinchangName}, path...), "")
	owner.run("find the item on the work list", chromedp.Click(`section[data-kind="rectify"] a[href="/rectification-items/`+it.ID+`"]`, chromedp.ByQuery))
	owner.waitJS("the item's page", `document.querySelector('.item-state')?.textContent.trim() === '整改中'`)

	// Evidence is required: the service's refusal stands beside the evidence.
	owner.click("#item-submit")
	owner.waitJS("the refusal shown beside the evidence", `[...document.querySelectorAll('.gj-field-error, .el-form-item__error')].some(e => e.textContent.trim() !== '')`)
	owner.checkAccessibility("a rectification item with an error")

	owner.typeInto("#ev-description-0", "已召开集中活动，附会议记录")
	owner.typeInto("#ev-reference-0", "JC-2026-017")
	owner.typeInto("#item-note", "已整改")
	owner.click("#item-submit")
	owner.waitJS("submitted", `document.querySelector('.item-state')?.textContent.trim() === '待验收'`)

	inspector := openBrowser(t, "inspector")
	inspector.signIn("督查组", nil, "")
	inspector.run("find the item waiting for acceptance", chromedp.Click(`section[data-kind="accept"] a[href="/rectification-items/`+it.ID+`"]`, chromedp.ByQuery))
	inspector.waitJS("the evidence shown", `document.body.textContent.includes('已召开集中活动，附会议记录')`)
	inspector.typeInto("#item-note", "材料齐全，予以销号")
	inspector.click("#item-accept")
	inspector.waitJS("closed", `document.querySelector('.item-state')?.textContent.trim() === '已销号'`)
	inspector.checkAccessibility("a closed rectification item")

	var got struct {
		Item item `json:"item"`
	}
	da.do("GET", "/v1/rectification-items/"+it.ID, "", &got)
	if got.Item.State != "ITEM_STATE_CLOSED" {
		t.Errorf("after acceptance the item is %s, want ITEM_STATE_CLOSED", got.Item.State)
	}
	var steps struct {
		Steps []struct {
			Kind      string `json:"kind"`
			ActorRole string `json:"actorRole"`
		} `json:"steps"`
	}
	da.do("GET", "/v1/rectification-items/"+it.ID+"/steps", "", &steps)
	var kinds []string
	for _, s := range steps.Steps {
		kinds = append(kinds, s.Kind+"/"+s.ActorRole)
	}
	want := "STEP_KIND_OPENED/district_admin STEP_KIND_EVIDENCE_SUBMITTED/community_secretary STEP_KIND_ACCEPTED/inspector"
	if strings.Join(kinds, " ") != want {
		t.Errorf("steps %v, want %s", kinds, want)
	}
}

func TestARulesPreviewSaysHowManyItemsItWouldOpenInTheDistrict(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	var rules struct {
		Rules []struct {
			ID   string `json:"id"`
			Code string `json:"code"`
		} `json:"rules"`
	}
	admin.do("GET", "/v1/rules?districtId="+district.ID, "", &rules)
	var id string
	for _, r := range rules.Rules {
		if r.Code == "quarterly_activity_missed" {
			id = r.ID
		}
	}
	if id == "" {
		t.Fatalf("no rule quarterly_activity_missed among %+v", rules.Rules)
	}

	before := ruleItems(admin, district)

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.open("/rules/"+id, "#rule-params")
	p.typeInto("#rule-condition", "founded_before_quarter && nope == 0")
	p.click("#rule-preview")
	fieldError := `//div[contains(@class,"el-form-item") and contains(@class,"is-error")][.//textarea[@id="rule-condition"]]//div[contains(@class,"el-form-item__error")]`
	p.run("see the refusal beside the condition", chromedp.WaitVisible(fieldError, chromedp.BySearch))
	p.checkAccessibility("a rule with a refused condition")

	// Branches too: the district's branches without a concentrated activity.
	p.typeInto("#rule-condition", "founded_before_quarter && concentrated_activities == 0")
	p.typeInto("#rule-params", `{"kinds":["BRANCH"],"grace_days":15}`)
	p.click("#rule-preview")
	var line string
	p.run("read what it would do", chromedp.Poll(`(() => { const l = [...document.querySelectorAll('.preview-lines li')].map(e => e.textContent.trim())
		.find(s => s.includes(`+jsString(jinchangName)+`)); return l || null; })()`, &line,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
	var n int
	if _, err := fmt.Sscanf(line[strings.Index(line, "新建")+len("新建"):], " %d", &n); err != nil || n == 0 {
		t.Errorf("the preview reads %q, want it to open some items in %s", line, jinchangName)
	}
	if after := ruleItems(admin, district); after != before {
		t.Errorf("the rule's items in the district went from %d to %d on a preview, want none made", before, after)
	}
}

// ruleItems counts the district's items of the missed quarterly activity.
func ruleItems(a *api, district org) int {
	n, q := 0, url.Values{"ancestorId": {district.ID}, "ruleCode": {"quarterly_activity_missed"}, "pageSize": {"500"}}
	for {
		var page struct {
			Items []item `json:"items"`
			Next  string `json:"nextPageToken"`
		}
		a.do("GET", "/v1/rectification-items?"+q.Encode(), "", &page)
		n += len(page.Items)
		if page.Next == "" {
			return n
		}
		q.Set("pageToken", page.Next)
	}
}
