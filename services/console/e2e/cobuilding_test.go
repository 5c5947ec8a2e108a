package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

func TestACoBuildingListExportsToAWorkbook(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	community := admin.orgs(url.Values{"ancestorId": {district.ID}, "kind": {"ORGANISATION_KIND_COMMUNITY"}})[1]
	da := sys.api(t, "district_admin", district.ID, "")
	stamp := time.Now().UnixNano() % 100000
	for i := range 3 {
		da.do(http.MethodPost, "/v1/resident-units", fmt.Sprintf(`{"requestId":"%d-%d-0000-4000-8000-000000000000","residentUnit":{"name":"测试单位%d-%d","type":"UNIT_TYPE_STATE_ENTERPRISE","communityId":%q,"address":"金昌路%d号","headCount":%d,"partyMemberCount":%d}}`,
			10000000+stamp, 1000+i, stamp, i, community.ID, i+1, 100+i, 5+i), nil)
	}
	var want []string
	q := url.Values{"ancestorId": {district.ID}, "pageSize": {"500"}}
	for {
		var page struct {
			Units []struct {
				Name string `json:"name"`
			} `json:"residentUnits"`
			Next string `json:"nextPageToken"`
		}
		da.do(http.MethodGet, "/v1/resident-units?"+q.Encode(), "", &page)
		for _, u := range page.Units {
			want = append(want, u.Name)
		}
		if page.Next == "" {
			break
		}
		q.Set("pageToken", page.Next)
	}

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.open("/resident-units", ".unit-table")
	p.waitJS("the units listed", fmt.Sprintf(`document.querySelector('.unit-table')?.textContent.includes('测试单位%d-2')`, stamp))
	p.checkAccessibility("the resident unit list")
	file := p.download(func() { p.click(".export-button") })
	book, err := excelize.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows("驻区单位")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || rows[0][0] != "单位名称" || rows[0][1] != "单位类型" || rows[0][2] != "所在社区" {
		t.Fatalf("headings %v, want 单位名称 单位类型 所在社区 …", rows[:min(1, len(rows))])
	}
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[0])
		if r[0] == fmt.Sprintf("测试单位%d-1", stamp) && (r[1] != "国有企业" || r[2] != community.Name) {
			t.Errorf("row %v, want its type and community by their Chinese names", r)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the workbook names %v, the list %v", got, want)
	}
}

func TestALedgerItemIsReportedSentBackAndTickedOff(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	community := admin.orgs(url.Values{"ancestorId": {district.ID}, "kind": {"ORGANISATION_KIND_COMMUNITY"}})[2]
	da := sys.api(t, "district_admin", district.ID, "")
	stamp := time.Now().UnixNano() % 100000
	var meeting struct {
		JointMeeting struct {
			ID string `json:"id"`
		} `json:"jointMeeting"`
	}
	da.do(http.MethodPost, "/v1/joint-meetings", fmt.Sprintf(`{"requestId":"%d-2000-0000-4000-8000-000000000000","jointMeeting":{"kind":"MEETING_KIND_COMMUNITY","convenerId":%q,"date":%q,"title":"社区联席会议%d","organisationIds":[%q],"minutes":"议定事项见台账"}}`,
		20000000+stamp, community.ID, time.Now().AddDate(0, 0, -1).Format(time.DateOnly), stamp, community.ID), &meeting)

	// The district, above the convening community, puts a matter on the
	// meeting's ledger for the community and decides on its reports.
	convener := openBrowser(t, "district-admin")
	convener.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	convener.open("/joint-meetings/"+meeting.JointMeeting.ID, "#led-add")
	title := fmt.Sprintf("修缮活动阵地%d", stamp)
	convener.typeInto("#led-title", title)
	convener.typeInto("#led-deadline", time.Now().AddDate(0, 1, 0).Format(time.DateOnly))
	convener.pickID("#led-owner-org", community.ID)
	convener.typeInto("#led-matter", "社区活动阵地屋顶漏水，由社区牵头修缮")
	convener.click("#led-add")
	convener.loaded()
	convener.run("see it on the meeting's ledger", chromedp.Click(`//table//a[normalize-space(.)="`+title+`"]`, chromedp.BySearch))
	convener.waitJS("the item's page", `document.querySelector('.ledger-status')?.textContent.trim() === '待办理'`)
	var where string
	convener.run("read its address", chromedp.Location(&where))
	id := where[strings.LastIndex(where, "/")+1:]
	convener.checkAccessibility("a ledger item")

	// The community reports progress with evidence.
	owner := openBrowser(t, "community-secretary")
	owner.signIn("社区书记", append([]string{cityName, jinchangName}, namesOf(admin, community, district)...), "")
	report := func(note string) {
		owner.open("/ledger-items/"+id, "#led-report")
		owner.typeInto("#led-ev-title-0", "施工照片")
		owner.typeInto("#led-ev-uri-0", "https://files.example/photo-1.jpg")
		owner.typeInto("#led-note", note)
		owner.click("#led-report")
		owner.waitJS("reported", `document.querySelector('.ledger-status')?.textContent.trim() === '已报进展'`)
	}
	report("已联系施工队，屋顶已修缮一半")

	// The convener sends it back, the community reports again, the convener ticks it off.
	convener.open("/ledger-items/"+id, "#led-sendBack")
	convener.typeInto("#led-reason", "尚未完工")
	convener.click("#led-sendBack")
	convener.waitJS("sent back", `document.querySelector('.ledger-status')?.textContent.trim() === '已退回'`)
	report("屋顶修缮完毕")
	convener.open("/ledger-items/"+id, "#led-close")
	convener.typeInto("#led-note", "验收合格")
	convener.click("#led-close")
	convener.waitJS("ticked off", `document.querySelector('.ledger-status')?.textContent.trim() === '已销号'`)

	var got struct {
		LedgerItem struct {
			Status   string `json:"status"`
			Progress []struct {
				Note string `json:"note"`
			} `json:"progress"`
			SendBackReason string `json:"sendBackReason"`
		} `json:"ledgerItem"`
	}
	da.do(http.MethodGet, "/v1/ledger-items/"+id, "", &got)
	if got.LedgerItem.Status != "LEDGER_ITEM_STATUS_CLOSED" || len(got.LedgerItem.Progress) != 2 || got.LedgerItem.SendBackReason != "尚未完工" {
		t.Errorf("the ledger item ended as %+v, want closed after two reports and a sending back", got.LedgerItem)
	}
}
