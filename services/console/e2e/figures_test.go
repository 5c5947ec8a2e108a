package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkConsoleAtCityScale measures the console at the size of a city:
// a district of 14 streets × 20 communities × 23 branches (6,734
// organisations, as the organisation service's benchmark) holding a million
// members (SCALE_MEMBERS to change), loaded through the API (organisations
// created one by one, members imported as rosters of 20,000 rows), then
// timed in the browser: the district's whole tree loaded for search, and a
// page of 50 members of the district and of the city.
//
//	cd services/console/e2e && go test -run '^$' -bench ConsoleAtCityScale -benchtime=1x -timeout 60m
func BenchmarkConsoleAtCityScale(b *testing.B) {
	members := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SCALE_MEMBERS")); err == nil {
		members = v
	}
	admin := sys.api(b, "city_admin", "", "")
	city := admin.orgs(url.Values{"kind": {"ORGANISATION_KIND_CITY"}})[0]

	start := time.Now()
	district, branches := seedDistrict(b, admin, city.ID)
	b.Logf("seeded %d organisations in %s", len(branches)+14*21+1, time.Since(start).Round(time.Second))
	start = time.Now()
	taken := seedMembers(b, admin, district, branches, members)
	b.Logf("imported %d members in %s", taken, time.Since(start).Round(time.Second))

	for range b.N {
		p := openBrowser(b, "scale")
		p.signIn("区(县)委组织部", []string{cityName, "规模测试区委"}, "")
		p.open("/organisations", ".org-tree")
		began := time.Now()
		p.typeInto("#org-search", "第23党支部\n")
		p.run("the search's hits", chromedp.WaitVisible(`ul.hits li`, chromedp.ByQuery))
		wall := time.Since(began)
		var load struct {
			Ms float64
			N  int
		}
		p.eval("the load", `window.__gjScopeLoad`, &load)
		b.ReportMetric(load.Ms, "tree-ms")
		b.Logf("figure: the district's tree of %d organisations loaded in the browser in %.0f ms (%s from Enter to the hits shown)", load.N, load.Ms, wall.Round(time.Millisecond))

		p.open("/members", ".member-table")
		p.waitJS("the first page", `[...document.querySelectorAll('.member-table tbody tr')].length === 50`)
		var ms float64
		p.eval("the page's time", `window.__gjMembersMs`, &ms)
		b.ReportMetric(ms, "district-page-ms")
		b.Logf("figure: a page of 50 of the district's %d members shown in %.0f ms", taken, ms)

		c := openBrowser(b, "city")
		c.signIn("市委组织部", nil, "")
		c.open("/members", ".member-table")
		c.waitJS("the first page", `[...document.querySelectorAll('.member-table tbody tr')].length === 50`)
		c.eval("the page's time", `window.__gjMembersMs`, &ms)
		b.ReportMetric(ms, "city-page-ms")
		b.Logf("figure: a page of 50 of the city's members shown in %.0f ms", ms)
	}
}

// post sends a JSON POST and decodes the answer, for seeding from many
// goroutines (no t.Fatal there).
func (a *api) post(path, body string, out any) error {
	req, err := http.NewRequest(http.MethodPost, a.base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: HTTP %d %s", path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}

// seedDistrict creates the district and its tree, sixteen at a time, and
// returns it with its branches.
func seedDistrict(b *testing.B, a *api, cityID string) (org, []string) {
	b.Helper()
	var d struct{ Organisation org }
	if err := a.post("/v1/organisations", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_DISTRICT","name":"规模测试区委","parentId":%q}`, cityID), &d); err != nil {
		b.Fatal(err)
	}
	district := d.Organisation
	create := func(kind, name, parent, extra string) (string, error) {
		var r struct{ Organisation org }
		err := a.post("/v1/organisations", fmt.Sprintf(`{"kind":%q,"name":%q,"parentId":%q%s}`, kind, name, parent, extra), &r)
		return r.Organisation.ID, err
	}
	var mu sync.Mutex
	var branches []string
	var firstErr error
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for s := range 14 {
		street, err := create("ORGANISATION_KIND_STREET", fmt.Sprintf("规模第%d街道党工委", s+1), district.ID, "")
		if err != nil {
			b.Fatal(err)
		}
		for c := range 20 {
			community, err := create("ORGANISATION_KIND_COMMUNITY", fmt.Sprintf("规模%d街%d社区党委", s+1, c+1), street, `,"communityForm":"COMMUNITY_FORM_COMMITTEE"`)
			if err != nil {
				b.Fatal(err)
			}
			for n := range 23 {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					id, err := create("ORGANISATION_KIND_BRANCH", fmt.Sprintf("规模%d街%d社区第%d党支部", s+1, c+1, n+1), community, "")
					mu.Lock()
					defer mu.Unlock()
					if err != nil && firstErr == nil {
						firstErr = err
					}
					branches = append(branches, id)
				}()
			}
		}
	}
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	return district, branches
}

// seedMembers imports n members spread over the branches as rosters of
// 20,000 rows with the 组织ID column, two rosters at a time, once the member
// service knows every branch (from the organisation service's events).
func seedMembers(b *testing.B, a *api, district org, branches []string, n int) int {
	b.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var c struct{ Count string }
		if err := a.get("/v1/members:count?organisationId="+branches[len(branches)-1], &c); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the member service never learnt of the new branches")
		}
		time.Sleep(time.Second)
	}
	const perFile = 20_000
	var mu sync.Mutex
	var firstErr error
	taken := 0
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for from := 0; from < n; from += perFile {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			got, err := a.importRoster(roster(from, min(from+perFile, n), branches))
			mu.Lock()
			defer mu.Unlock()
			taken += got
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	return taken
}

// roster is the CSV of members from to to, born on days counted back from
// 2000 with numbers unique in the city.
func roster(from, to int, branches []string) []byte {
	var buf bytes.Buffer
	buf.WriteString("姓名,性别,出生日期,身份证号,入党日期,党员类别,学历,就业状态,组织ID\n")
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given := []rune("建国华明丽芳军伟敏静强磊洋艳勇杰娟涛超秀英")
	employment := []string{"在职", "离退休", "离退休", "下岗", "在职", "个体"}
	for i := from; i < to; i++ {
		birth := time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -(i/900)-6600)
		id := nationalIDFor(birth, i%900+100)
		name := string(surnames[i%len(surnames)]) + string(given[(i/7)%len(given)]) + string(given[(i/131)%len(given)])
		sex := "男"
		if i%2 == 1 {
			sex = "女"
		}
		fmt.Fprintf(&buf, "%s,%s,%s,%s,%s,正式党员,高中,%s,%s\n", name, sex, birth.Format("2006-01-02"), id,
			birth.AddDate(25, 0, 0).Format("2006-01-02"), employment[i%len(employment)], branches[i%len(branches)])
	}
	return buf.Bytes()
}

// nationalIDFor is a valid number for a birth date and sequence (100–999).
func nationalIDFor(birth time.Time, seq int) string {
	body := fmt.Sprintf("320102%s%03d", birth.Format("20060102"), seq)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// importRoster uploads a roster and returns how many rows were taken.
func (a *api) importRoster(csv []byte) (int, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	f, _ := w.CreateFormFile("file", "roster.csv")
	_, _ = f.Write(csv)
	_ = w.Close()
	req, err := http.NewRequest(http.MethodPost, a.base+"/v1/members:import", &body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	c := *a.c
	c.Timeout = 10 * time.Minute
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("import: HTTP %d %.500s", resp.StatusCode, raw)
	}
	var r struct {
		Report struct {
			Taken   int `json:"taken"`
			Refused int `json:"refused"`
		} `json:"report"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, err
	}
	if r.Report.Refused > 0 {
		return r.Report.Taken, fmt.Errorf("import: %d rows refused: %.1000s", r.Report.Refused, raw)
	}
	return r.Report.Taken, nil
}

// get reads a JSON answer, returning an error instead of failing.
func (a *api) get(path string, out any) error {
	req, err := http.NewRequest(http.MethodGet, a.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := a.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	return json.Unmarshal(raw, out)
}
