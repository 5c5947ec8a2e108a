package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// duesEntry is the part of a ledger entry the tests read.
type duesEntry struct {
	ID            string `json:"id"`
	Kind          string `json:"kind"`
	Month         string `json:"month"`
	AmountFen     string `json:"amountFen"`
	ReceiptNumber string `json:"receiptNumber"`
	Reverses      string `json:"reverses"`
	Reason        string `json:"reason"`
}

// memberDues is the part of a member's statement of a year the tests read.
type memberDues struct {
	Bills []struct {
		Month   string `json:"month"`
		OwedFen string `json:"owedFen"`
	} `json:"bills"`
	Entries    []duesEntry `json:"entries"`
	Exemptions []struct {
		FromMonth string `json:"fromMonth"`
		Reason    string `json:"reason"`
		DecidedBy string `json:"decidedBy"`
	} `json:"exemptions"`
}

// none says whether an amount in fen is nothing: JSON leaves a zero out.
func none(fen string) bool { return fen == "" || fen == "0" }

// standing are the payments of a statement no refund or correction has
// reversed.
func (d memberDues) standing() []duesEntry {
	reversed := map[string]bool{}
	for _, e := range d.Entries {
		if e.Reverses != "" {
			reversed[e.Reverses] = true
		}
	}
	var out []duesEntry
	for _, e := range d.Entries {
		if e.Kind == "DUES_ENTRY_KIND_PAYMENT" && !reversed[e.ID] {
			out = append(out, e)
		}
	}
	return out
}

// TestADistrictAdministratorPaysBackCorrectsAndExemptsOnAMembersStatement
// works on a demo member's dues statement in the console as Jinchang's
// district administrator: one payment is paid back (a refusal for want of
// a reason first, shown beside the field), another corrected and recorded
// again with the right receipt number, and a hardship exemption recorded
// (refused first for want of who decided). Each is then read back over the
// API as the new entry or exemption it must be — the payments themselves
// unchanged — and the statement with its forms is checked with axe-core.
func TestADistrictAdministratorPaysBackCorrectsAndExemptsOnAMembersStatement(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-JC")
	da := sys.api(t, "district_admin", district.ID, "")
	now := time.Now()
	month := time.Date(now.Year(), now.Month()-3, 1, 0, 0, 0, 0, time.Local)
	year := month.Year()
	statement := func(id string) memberDues {
		var d memberDues
		da.do(http.MethodGet, fmt.Sprintf("/v1/members/%s/dues?year=%d", id, year), "", &d)
		return d
	}

	// A member of Jinchang who paid that month and has two payments of the
	// year standing, from the last branch that billed it (the ledger's test
	// reads the first).
	var memberID string
	var before memberDues
	var orgs []org
	for _, kind := range []string{"ORGANISATION_KIND_COMMUNITY", "ORGANISATION_KIND_BRANCH", "ORGANISATION_KIND_GENERAL_BRANCH"} {
		orgs = append(orgs, da.orgs(url.Values{"ancestorId": {district.ID}, "kind": {kind}})...)
	}
	for i := len(orgs) - 1; i >= 0 && memberID == ""; i-- {
		var page struct {
			Bills []duesBill `json:"bills"`
		}
		da.do(http.MethodGet, "/v1/dues-bills?"+url.Values{"organisationId": {orgs[i].ID}, "month": {month.Format("2006-01")}, "pageSize": {"500"}}.Encode(), "", &page)
		for _, b := range page.Bills {
			if !none(b.OwedFen) || none(b.AmountFen) {
				continue
			}
			if d := statement(b.MemberID); len(d.standing()) >= 2 {
				memberID, before = b.MemberID, d
				break
			}
		}
	}
	if memberID == "" {
		t.Fatalf("no member of Jinchang's %d organisations paid %s with two payments of %d standing", len(orgs), month.Format("2006-01"), year)
	}
	refunded, corrected := before.standing()[0], before.standing()[1]
	reversedBefore := 0 // the payments shown as refunded or corrected already
	for _, e := range before.Entries {
		if e.Reverses != "" {
			reversedBefore++
		}
	}

	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")
	p.open("/members/"+memberID+"?tab=dues", ".dues-entries")
	if year != now.Year() {
		p.chooseListed("#dues-year", strconv.Itoa(year))
	}
	p.waitJS("the statement's payments", fmt.Sprintf(`document.querySelectorAll('.dues-entries tbody tr').length === %d`, len(before.Entries)))
	// entryAction clicks the action of the row of one entry, found by its
	// month and amount as the table shows them.
	entryAction := func(e duesEntry, action string) {
		t.Helper()
		p.loaded()
		js := fmt.Sprintf(`(() => { const r = [...document.querySelectorAll('.dues-entries tbody tr')].find(r => {
			const c = [...r.querySelectorAll('td')].map(td => td.textContent.trim());
			return c[1] === %q && c[4] === %q && r.querySelector(%q); });
			if (!r) return false; r.querySelector(%q).click(); return true; })()`, e.Month, yuan(t, e.AmountFen), action, action)
		p.waitJS(action+" on the payment of "+e.Month, js)
	}

	// Paying back the first payment: refused without a reason, beside it.
	entryAction(refunded, ".entry-refund")
	p.waitJS("the refund's form", `!!document.querySelector('.dues-reverse #reverse-reason')`)
	p.click("#reverse-save")
	p.waitJS("the want of a reason beside it", `(document.querySelector('#reverse-reason')?.closest('.el-form-item')?.querySelector('.el-form-item__error')?.textContent ?? '').trim() !== ''`)
	p.typeInto("#reverse-reason", "本人多交，退还")
	p.click("#reverse-save")
	p.waitJS("the refund recorded", fmt.Sprintf(`!document.querySelector('.dues-reverse') && document.querySelectorAll('.dues-entries .entry-reversed').length === %d`, reversedBefore+1))

	// Correcting the second: the receipt number was recorded wrongly.
	entryAction(corrected, ".entry-correct")
	p.waitJS("the correction's form", `!!document.querySelector('.dues-reverse #reverse-receipt')`)
	p.typeInto("#reverse-reason", "收据编号登记错误")
	p.typeInto("#reverse-receipt", "JC-E2E-0099")
	p.click("#reverse-save")
	p.waitJS("the correction recorded", fmt.Sprintf(`!document.querySelector('.dues-reverse') && document.querySelectorAll('.dues-entries .entry-reversed').length === %d`, reversedBefore+2))

	after := statement(memberID)
	if got, want := len(after.Entries), len(before.Entries)+3; got != want {
		t.Errorf("the statement has %d entries after a refund and a correction recorded again, want %d (a reversal each and the payment again)", got, want)
	}
	var refund, reversal, again *duesEntry
	for i, e := range after.Entries {
		switch {
		case e.Kind == "DUES_ENTRY_KIND_REFUND" && e.Reverses == refunded.ID:
			refund = &after.Entries[i]
		case e.Kind == "DUES_ENTRY_KIND_CORRECTION" && e.Reverses == corrected.ID:
			reversal = &after.Entries[i]
		case e.Kind == "DUES_ENTRY_KIND_PAYMENT" && e.ReceiptNumber == "JC-E2E-0099":
			again = &after.Entries[i]
		}
		if e.ID == refunded.ID && e.AmountFen != refunded.AmountFen || e.ID == corrected.ID && e.AmountFen != corrected.AmountFen {
			t.Errorf("payment %s now reads %s fen: a payment is reversed by a new entry, never edited", e.ID, e.AmountFen)
		}
	}
	switch {
	case refund == nil:
		t.Errorf("no refund entry reverses the payment of %s: %+v", refunded.Month, after.Entries)
	case refund.AmountFen != "-"+refunded.AmountFen || refund.Reason != "本人多交，退还":
		t.Errorf("the refund is %+v, want -%s fen with the reason typed", *refund, refunded.AmountFen)
	}
	if reversal == nil || reversal.AmountFen != "-"+corrected.AmountFen || reversal.Reason != "收据编号登记错误" {
		t.Errorf("the correction's reversal is %+v, want -%s fen with the reason typed", reversal, corrected.AmountFen)
	}
	if again == nil || again.AmountFen != corrected.AmountFen || again.Month != corrected.Month {
		t.Errorf("the payment recorded again is %+v, want %s fen for %s with the new receipt number", again, corrected.AmountFen, corrected.Month)
	}
	for _, b := range after.Bills {
		if b.Month == refunded.Month && b.Month != corrected.Month && none(b.OwedFen) {
			t.Errorf("the bill of %s owes nothing after its payment was paid back", b.Month)
		}
	}

	// A hardship exemption for the December of the statement's year:
	// refused without who decided.
	december := fmt.Sprintf("%d-12", year)
	p.typeInto("#grant-from", december)
	p.typeInto("#grant-to", december)
	p.typeInto("#grant-reason", "因病住院，生活困难")
	p.click("#grant-save")
	p.waitJS("the want of who decided beside it", `(document.querySelector('#grant-decided-by')?.closest('.el-form-item')?.querySelector('.el-form-item__error')?.textContent ?? '').trim() !== ''`)
	p.typeInto("#grant-decided-by", "支委会")
	p.click("#grant-save")
	p.waitJS("the exemption listed", `[...document.querySelectorAll('.dues-exemptions tbody tr')].some(r => r.textContent.includes('因病住院，生活困难'))`)
	var granted bool
	for _, x := range statement(memberID).Exemptions {
		granted = granted || x.FromMonth == december && x.Reason == "因病住院，生活困难" && x.DecidedBy == "支委会"
	}
	if !granted {
		t.Errorf("the statement of %d holds no exemption from %s decided by the committee", year, december)
	}
	p.waitJS("nothing loading on the statement", `document.querySelectorAll('[aria-busy="true"], .el-loading-mask').length === 0`)
	p.checkAccessibility("a member's dues statement with its forms")
}
