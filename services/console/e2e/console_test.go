package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

const (
	cityName      = "中共共建市委员会"
	jinchangName  = "中共金昌区委员会"
	tongjiangName = "中共同江县委员会"
)

func TestADistrictAdministratorOpensTheTreeAndACommunity(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	street := admin.orgs(url.Values{"parentId": {district.ID}})[0]
	community := admin.orgs(url.Values{"parentId": {street.ID}, "kind": {"ORGANISATION_KIND_COMMUNITY"}})[0]

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.checkAccessibility("the home page")

	p.open("/organisations", ".org-tree")
	node := func(name string) string {
		return `//div[contains(@class,"el-tree-node__content")][.//a[normalize-space(.)="` + name + `"]]`
	}
	p.run("see the district at the root of the tree", chromedp.WaitVisible(node(jinchangName), chromedp.BySearch))
	p.expandNode(jinchangName)
	p.expandNode(street.Name)
	p.run("see the community in the street", chromedp.WaitVisible(node(community.Name), chromedp.BySearch))
	p.checkAccessibility("the organisation tree")

	p.run("open the community", chromedp.Click(node(community.Name)+`//a`, chromedp.BySearch))
	p.waitJS("the community's page", `document.querySelector('h1')?.textContent.trim() === `+jsString(community.Name))
	p.run("its leadership team", chromedp.WaitVisible(`//table//td[normalize-space(.)="书记"]`, chromedp.BySearch))
	p.checkAccessibility("an organisation's page")

	p.open("/organisations", ".org-tree")
	p.typeInto("#org-search", string([]rune(community.Name)[:2])+"\n")
	p.run("find the community by a part of its name", chromedp.WaitVisible(
		`//ul[@class="hits"]//a[normalize-space(.)="`+community.Name+`"]`, chromedp.BySearch))
	var load struct {
		Ms float64
		N  int
	}
	p.eval("how long the district took", `window.__gjScopeLoad`, &load)
	if load.N < 36 {
		t.Errorf("the search loaded %d organisations of the district, want its whole tree", load.N)
	}
	t.Logf("figure: the district's tree of %d organisations loaded for search in %.0f ms", load.N, load.Ms)
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func TestRegisteringAMemberShowsTheServicesErrorBesideTheField(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	branch := admin.orgs(url.Values{"ancestorId": {district.ID}, "kind": {"ORGANISATION_KIND_BRANCH"}})[0]
	path := namesOf(admin, branch, district)

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.open("/members/new", "#reg-submit")
	for i, name := range path {
		p.chooseText(fmt.Sprintf("#reg-org-%d", i+1), name)
		p.settled("fieldset.gj-cascade")
	}
	birth := time.Date(1985, 3, 7, 0, 0, 0, 0, time.UTC)
	name := fmt.Sprintf("测试%d", time.Now().UnixNano()%100000)
	p.typeInto("#reg-name", name)
	p.typeInto("#reg-national-id", nationalID(birth, true))
	p.typeInto("#reg-birth-date", "1985-03-07\r")
	p.typeInto("#reg-join-date", "2010-07-01\r")
	p.typeInto("#reg-phone", "13800000000")
	p.click("#reg-submit")

	fieldError := `//div[contains(@class,"el-form-item") and contains(@class,"is-error")][.//input[@id="reg-national-id"]]//div[contains(@class,"el-form-item__error")]`
	p.run("see the error beside the ID number", chromedp.WaitVisible(fieldError, chromedp.BySearch))
	var msg string
	p.run("read it once it is written", chromedp.Poll(`(() => {
		const e = document.evaluate(`+jsString(fieldError)+`, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
		return e && e.textContent.trim() ? e.textContent.trim() : null;
	})()`, &msg, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	if !strings.Contains(strings.ToLower(msg), "check") && !strings.Contains(msg, "校验") {
		t.Errorf("the error beside the ID number is %q, want the check character named", msg)
	}
	p.checkAccessibility("the registration form with an error")

	p.typeInto("#reg-national-id", nationalID(birth, false))
	p.click("#reg-submit")
	p.run("see the member registered", chromedp.WaitVisible(`//div[contains(@class,"saved")][contains(.,"`+name+`")]`, chromedp.BySearch))
	found := admin.members(url.Values{"organisationId": {branch.ID}, "name": {name}})
	if len(found) != 1 || found[0].Name != name {
		t.Errorf("the branch's members named %s: %+v, want the one registered", name, found)
	}
}

func TestATransferAcrossTwoDistrictsTakesItsThreeParties(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	jinchang, tongjiang := admin.district("GJ-JC"), admin.district("GJ-TJ")
	m := transferable(admin, jinchang)
	to := admin.orgs(url.Values{"ancestorId": {tongjiang.ID}, "kind": {"ORGANISATION_KIND_BRANCH"}})[0]

	sender := openBrowser(t, "sender")
	sender.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	sender.open("/transfers/new?member="+m.ID, "#transfer-submit")
	sender.typeInto("#transfer-to", to.ID)
	sender.typeInto("#transfer-reason", "工作调动")
	sender.click("#transfer-submit")
	sender.waitJS("the transfer's page", `/^\/transfers\/[0-9a-f-]{36}$/.test(location.pathname) && !!document.querySelector('.transfer-state')`)
	var where string
	sender.run("read its address", chromedp.Location(&where))
	id := where[strings.LastIndex(where, "/")+1:]
	if s := sender.text(".transfer-state"); s != "已申请" {
		t.Fatalf("a new transfer is %q, want 已申请", s)
	}

	// The member confirms, signed in as themselves, by the link they were given.
	self := openBrowser(t, "member")
	self.signIn("党员", nil, m.ID, m.Name)
	self.open("/transfers/"+id, ".transfer-state")
	self.click("#step-confirm")
	self.waitJS("confirmed", `document.querySelector('.transfer-state')?.textContent.trim() === '本人已确认'`)
	self.checkAccessibility("a transfer's page")

	// The sending district issues the letter, which prints.
	sender.open("/", "#main")
	sender.run("find the transfer waiting for its letter", chromedp.Click(`section[data-kind="release"] a[href="/transfers/`+id+`"]`, chromedp.ByQuery))
	sender.click("#step-release")
	sender.waitJS("released", `document.querySelector('.transfer-state')?.textContent.trim() === '已开具介绍信'`)
	sender.open("/transfers/"+id+"/letter", ".letter")
	// The sending district cannot read the other district's organisations:
	// the letter names the receiving branch by its id.
	if letter := sender.text(".letter"); !strings.Contains(letter, "介绍信") || !strings.Contains(letter, m.Name) ||
		!strings.Contains(letter, to.ID) || !strings.Contains(letter, "ZZ-") {
		t.Errorf("the letter reads %q, want its number, the member and the receiving branch named", letter)
	}

	// The receiving district receives it from its work list.
	receiver := openBrowser(t, "receiver")
	receiver.signIn("区(县)委组织部", []string{cityName, tongjiangName}, "")
	receiver.run("find the transfer waiting to be received", chromedp.Click(`section[data-kind="receive"] a[href="/transfers/`+id+`"]`, chromedp.ByQuery))
	receiver.click("#step-receive")
	receiver.waitJS("completed", `document.querySelector('.transfer-state')?.textContent.trim() === '已办结'`)

	var got struct {
		Member member `json:"member"`
	}
	admin.do("GET", "/v1/members/"+m.ID, "", &got)
	if got.Member.OrganisationID != to.ID {
		t.Errorf("after the receipt the member is in %s, want %s", got.Member.OrganisationID, to.ID)
	}
}

// exportPage is how many rows the gateway reads a page when it exports.
const exportPage = 500

func TestAnExportHoldsEveryRowTheFilterSelects(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	want := admin.members(url.Values{"ancestorId": {district.ID}, "minAge": {"70"}})
	if len(want) <= exportPage {
		t.Fatalf("only %d members of 70 or more: the export would not span its pages", len(want))
	}

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.open("/members", ".member-table")
	p.typeInto("#filter-min-age", "70")
	p.click("#filter-search")
	p.waitJS("the filtered first page", `[...document.querySelectorAll('.member-table tbody tr')].length === 50`)
	p.checkAccessibility("the member list")
	var ms float64
	p.eval("how long the page took", `window.__gjMembersMs`, &ms)
	t.Logf("figure: a page of 50 members of the district, filtered by age, shown in %.0f ms (demo scale)", ms)

	file := p.download(func() { p.click(".export-button") })
	book, err := excelize.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := book.GetRows("党员")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || rows[0][0] != "姓名" || rows[0][3] != "身份证号" {
		t.Fatalf("headings %v, want 姓名 … 身份证号", rows[:min(1, len(rows))])
	}
	var gotNames, wantNames []string
	for _, r := range rows[1:] {
		gotNames = append(gotNames, r[0])
		if id := r[3]; !strings.Contains(id, "*") {
			t.Errorf("row %v shows the ID number unmasked", r)
		}
	}
	for _, m := range want {
		wantNames = append(wantNames, m.Name)
	}
	slices.Sort(gotNames)
	slices.Sort(wantNames)
	if !slices.Equal(gotNames, wantNames) {
		t.Errorf("the workbook has %d rows, the list %d: the names differ", len(gotNames), len(wantNames))
	}
}

func TestTheCompositionChartIsDrawn(t *testing.T) {
	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.open("/stats", ".chart-categories")
	p.waitJS("the categories chart drawn", `document.querySelector('.chart-categories')?.dataset.rendered === 'true'`)
	var painted int
	p.eval("count its painted pixels", `(() => { const c = document.querySelector('.chart-categories canvas');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
		for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })()`, &painted)
	if painted < 2000 {
		t.Errorf("the chart painted %d pixels, want a pie", painted)
	}
	p.waitJS("the age chart drawn", `document.querySelector('.chart-age')?.dataset.rendered === 'true'`)
	var total string
	p.run("read the total", chromedp.Text(`p[role="status"]`, &total, chromedp.ByQuery))
	if !strings.Contains(total, "1") {
		t.Errorf("status %q, want the district's total", total)
	}
	p.checkAccessibility("the statistics page")
}

func TestTheFirstLoadIsSmall(t *testing.T) {
	p := openBrowser(t, "visitor")
	p.open("/sign-in", "#signin-submit")
	var bytes struct{ Wire, Decoded float64 }
	p.eval("sum what the page loaded", `(() => { const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
		return { Wire: all.reduce((n, e) => n + e.transferSize, 0), Decoded: all.reduce((n, e) => n + e.decodedBodySize, 0) }; })()`, &bytes)
	t.Logf("figure: first load of the sign-in page: %.0f KB over the wire (compressed, with headers), %.0f KB decoded", bytes.Wire/1024, bytes.Decoded/1024)
	if bytes.Wire == 0 || bytes.Wire >= bytes.Decoded {
		t.Errorf("the page loaded %.0f bytes for %.0f decoded: not compressed", bytes.Wire, bytes.Decoded)
	}
	p.checkAccessibility("the sign-in page")
}

func TestARosterImportReportsEachRowAndHandsBackTheRefusedOnes(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	branch := admin.orgs(url.Values{"ancestorId": {district.ID}, "kind": {"ORGANISATION_KIND_BRANCH"}})[1]
	path := namesOf(admin, branch, district)

	birth := time.Date(1978, 11, 23, 0, 0, 0, 0, time.UTC)
	stamp := time.Now().UnixNano() % 100000
	bad, first, second := nationalID(birth, true), nationalID(birth, false), nationalID(birth, false)
	for second == first {
		second = nationalID(birth, false)
	}
	csv := "姓名,性别,出生日期,身份证号,入党日期,党员类别\n" +
		fmt.Sprintf("导入甲%d,男,1978-11-23,%s,2001-07-01,正式党员\n", stamp, first) +
		fmt.Sprintf("导入乙%d,女,1978-11-23,%s,2002-07-01,正式党员\n", stamp, bad) +
		fmt.Sprintf("导入丙%d,女,1978-11-23,%s,2003-07-01,预备党员\n", stamp, second)
	file := filepath.Join(t.TempDir(), "花名册.csv")
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.open("/members/import", "#import-submit")
	for i, name := range path {
		p.chooseText(fmt.Sprintf("#import-org-%d", i+1), name)
		p.settled("fieldset.gj-cascade")
	}
	p.run("choose the roster", chromedp.SetUploadFiles("#import-file", []string{file}, chromedp.ByQuery))
	p.click("#import-submit")
	p.waitJS("the report of three rows", `document.querySelectorAll('.import-report tbody tr').length === 3`)
	if report := p.text(".import-report"); !strings.Contains(report, "未导入") || strings.Count(report, "已导入") != 2 {
		t.Errorf("the report reads %q, want two rows taken and one refused", report)
	}
	p.checkAccessibility("the roster import with its report")

	refused := p.download(func() { p.click("#import-download-refused") })
	book, err := excelize.OpenFile(refused)
	if err != nil {
		t.Fatalf("the refused rows are no workbook: %v", err)
	}
	rows, err := book.GetRows("未导入的行")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][3] != "身份证号" || rows[0][6] != "问题" || rows[1][3] != bad || rows[1][6] == "" {
		t.Errorf("refused rows %q, want the heading and the row with the wrong number and its problem", rows)
	}
	if got := admin.members(url.Values{"organisationId": {branch.ID}, "name": {fmt.Sprint(stamp)}}); len(got) != 2 {
		t.Errorf("%d members of the branch carry the roster's mark, want the two taken", len(got))
	}
}
