package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

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
