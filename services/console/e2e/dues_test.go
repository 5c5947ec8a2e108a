package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// duesBill is the part of a bill line the tests read.
type duesBill struct {
	ID         string `json:"id"`
	MemberID   string `json:"memberId"`
	MemberName string `json:"memberName"`
	AmountFen  string `json:"amountFen"`
	OwedFen    string `json:"owedFen"`
}

// yuan shows fen as the console does: yuan with two decimals.
func yuan(t *testing.T, fen string) string {
	t.Helper()
	n, err := strconv.ParseInt(fen, 10, 64)
	if err != nil && fen != "" {
		t.Fatalf("amount %q: %v", fen, err)
	}
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

// TestADistrictAdministratorReadsABranchsDuesLedgerAndItsLostContactMembers opens the
// dues ledger of a demo branch of Jinchang for a past month as the
// district's administrator, picking the branch by name: the lines are
// there with their amounts in yuan, as the API bills them in fen. Then the
// lost-contact list of the district names the members the demo's never-
// comers became, each opening the member's page; a flagged member's
// organisation life and a billed member's statement are on theirs. The
// ledger, the list and the statement are checked with axe-core.
func TestADistrictAdministratorReadsABranchsDuesLedgerAndItsLostContactMembers(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	da := sys.api(t, "district_admin", district.ID, "")
	now := time.Now()
	month := time.Date(now.Year(), now.Month()-2, 1, 0, 0, 0, 0, time.Local).Format("2006-01")

	// A branch of the district that billed its members that month.
	var branch org
	var bills []duesBill
	for _, kind := range []string{"ORGANISATION_KIND_COMMUNITY", "ORGANISATION_KIND_BRANCH", "ORGANISATION_KIND_GENERAL_BRANCH"} {
		for _, o := range da.orgs(url.Values{"ancestorId": {district.ID}, "kind": {kind}}) {
			var page struct {
				Bills []duesBill `json:"bills"`
			}
			da.do(http.MethodGet, "/v1/dues-bills?"+url.Values{"organisationId": {o.ID}, "month": {month}, "pageSize": {"500"}}.Encode(), "", &page)
			if len(page.Bills) > 0 {
				branch, bills = o, page.Bills
				break
			}
		}
		if branch.ID != "" {
			break
		}
	}
	if branch.ID == "" {
		t.Fatalf("no organisation of Jinchang billed %s", month)
	}

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.open("/dues/ledger", "#ledger-search")
	p.typeInto("#ledger-month", month)
	p.settled("fieldset.gj-pick")
	p.typeInto("#ledger-org-q", branch.Name)
	p.pickID("#ledger-org", branch.ID)
	p.click("#ledger-search")
	p.waitJS("the month's lines", fmt.Sprintf(`document.querySelectorAll('.ledger-table tbody tr').length === %d`, len(bills)))
	// The first line's member with the amount the API billed, in yuan.
	var amount string
	p.eval("read the first member's amount", fmt.Sprintf(`(() => { const r = [...document.querySelectorAll('.ledger-table tbody tr')]
		.find(r => r.querySelector('a[href^="/members/%s"]')); return r ? r.querySelector('.ledger-amount').textContent.trim() : ''; })()`, bills[0].MemberID), &amount)
	if want := yuan(t, bills[0].AmountFen); amount != want {
		t.Errorf("%s's line shows %q, want %s yuan (%s fen)", bills[0].MemberName, amount, want, bills[0].AmountFen)
	}
	var where string
	p.eval("read the address", `location.search`, &where)
	if q, _ := url.ParseQuery(where[min(1, len(where)):]); q.Get("org") != branch.ID || q.Get("month") != month {
		t.Errorf("the ledger's address is %q, want the branch and month chosen", where)
	}
	p.waitJS("nothing loading on the ledger", `document.querySelectorAll('[aria-busy="true"], .el-loading-mask').length === 0`)
	p.checkAccessibility("the dues ledger")

	// The district's lost-contact members, once the member service has
	// flagged the demo's never-comers.
	type lostMember struct {
		MemberID string `json:"memberId"`
		Name     string `json:"name"`
	}
	var lost []lostMember
	for deadline := time.Now().Add(3 * time.Minute); len(lost) == 0; time.Sleep(2 * time.Second) {
		var page struct {
			Members []lostMember `json:"members"`
		}
		da.do(http.MethodGet, "/v1/organisations/"+district.ID+"/lost-contact-members?pageSize=50", "", &page)
		lost = page.Members
		if len(lost) == 0 && time.Now().After(deadline) {
			t.Fatal("no member of Jinchang flagged lost contact within 3 minutes")
		}
	}
	p.open("/dues/lost-contact", ".lost-contact-table")
	link := fmt.Sprintf(`.lost-contact-table a[href="/members/%s"]`, lost[0].MemberID)
	p.waitJS("the first flagged member listed", fmt.Sprintf(`document.querySelector(%q)?.textContent.trim() === %q`, link, lost[0].Name))
	p.waitJS("nothing loading on the lost-contact list", `document.querySelectorAll('[aria-busy="true"], .el-loading-mask').length === 0`)
	p.checkAccessibility("the lost-contact list")
	p.click(link)
	p.waitJS("the member's page", fmt.Sprintf(`location.pathname === '/members/%s' && !!document.querySelector('.member-facts')`, lost[0].MemberID))

	// The flagged member's organisation life: absent at every activity
	// their branch recorded by member.
	p.open("/members/"+lost[0].MemberID+"?tab=participation", ".participation-table")
	p.waitJS("their absences listed", `document.querySelectorAll('.participation-table tbody tr').length > 0`)

	// The first member of the ledger's statement of the year, as the
	// ledger's link opens it.
	p.open("/members/"+bills[0].MemberID+"?tab=dues", ".dues-totals")
	p.waitJS("the statement's bills", `document.querySelectorAll('.dues-bills tbody tr').length > 0`)
	p.waitJS("nothing loading on the statement", `document.querySelectorAll('[aria-busy="true"], .el-loading-mask').length === 0`)
	p.checkAccessibility("a member's dues statement")
}
