package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// duesSettings is the part of a district's dues settings the test reads.
type duesSettings struct {
	InService []struct {
		UpToFen         string `json:"upToFen"`
		RateBasisPoints string `json:"rateBasisPoints"`
	} `json:"inService"`
	Retired   json.RawMessage `json:"retired"`
	FixedFen  string          `json:"fixedFen"`
	Inherited bool            `json:"inherited"`
	Etag      string          `json:"etag"`
}

// TestTheCitySetsADistrictsDuesStandards sets Shiquan's dues standards in
// the console as the city's organisation department, picking the district
// by name: a rate that is no number is refused beside its field before
// anything is sent; the first band's rate and the fixed amount are saved
// and read back over the API in basis points and fen, the district no
// longer on the city's defaults; bands out of order are refused by the
// service; and a save over a version another editor has replaced is
// refused rather than overwriting it, and the form loads the latest. The
// district's standards are put back as they were.
func TestTheCitySetsADistrictsDuesStandards(t *testing.T) {
	admin := sys.api(t, "city_admin", "", "")
	district := admin.district("GJ-SQ")
	read := func() duesSettings {
		var r struct {
			Settings duesSettings `json:"settings"`
		}
		admin.do(http.MethodGet, "/v1/districts/"+district.ID+"/dues-settings", "", &r)
		return r.Settings
	}
	var raw struct {
		Settings json.RawMessage `json:"settings"`
	}
	admin.do(http.MethodGet, "/v1/districts/"+district.ID+"/dues-settings", "", &raw)
	before := read()
	if len(before.InService) < 2 {
		t.Fatalf("Shiquan's in-service bands: %+v, want two at least", before.InService)
	}
	t.Cleanup(func() {
		// Back as they were: the settings read first, over the latest version.
		body := fmt.Sprintf(`{"etag":%q,"settings":%s}`, read().Etag, raw.Settings)
		admin.do(http.MethodPut, "/v1/districts/"+district.ID+"/dues-settings", body, nil)
	})

	p := openBrowser(t, "city-admin")
	p.signIn("市委组织部", nil, "")
	p.open("/dues/settings", "#settings-district")
	p.settled("fieldset.gj-pick")
	p.typeInto("#settings-district-q", district.Name)
	p.pickID("#settings-district", district.ID)
	p.waitJS("Shiquan's standards", fmt.Sprintf(`document.querySelectorAll('.band-inService').length === %d`, len(before.InService)))

	// A rate that is no number: refused beside it, nothing sent.
	p.typeInto("#inService-0-rate", "半")
	p.click("#settings-save")
	p.waitJS("the refusal beside the rate", `(document.querySelector('#inService-0-rate')?.closest('.el-form-item')?.querySelector('.el-form-item__error')?.textContent ?? '').trim() !== ''`)
	if got := read(); got.Etag != before.Etag {
		t.Errorf("a refused form changed the settings: version %s, was %s", got.Etag, before.Etag)
	}

	// The first band at 0.6% and a fixed amount of 0.30 yuan.
	p.typeInto("#inService-0-rate", "0.6")
	p.typeInto("#settings-fixed", "0.30")
	p.click("#settings-save")
	p.waitJS("the standards saved", `[...document.querySelectorAll('.el-alert--success')].length > 0`)
	after := read()
	if after.InService[0].RateBasisPoints != "60" || after.FixedFen != "30" || after.Inherited || after.Etag == before.Etag {
		t.Errorf("after saving: first band %s basis points, fixed %s fen, inherited %v, version %s (was %s); want 60, 30, false and a new version",
			after.InService[0].RateBasisPoints, after.FixedFen, after.Inherited, after.Etag, before.Etag)
	}
	p.checkAccessibility("a district's dues standards")

	// The second band's limit below the first's: the service refuses it.
	p.typeInto("#inService-1-up-to", "1000")
	p.click("#settings-save")
	p.waitJS("the service's refusal", `(document.querySelector('.settings-error')?.textContent ?? '').includes('above the band before')`)
	if got := read(); got.Etag != after.Etag {
		t.Errorf("a refused save changed the settings: version %s, was %s", got.Etag, after.Etag)
	}

	// Another editor saves meanwhile: the console's save, over the version
	// it read, is refused.
	var other struct {
		Settings json.RawMessage `json:"settings"`
	}
	admin.do(http.MethodGet, "/v1/districts/"+district.ID+"/dues-settings", "", &other)
	admin.do(http.MethodPut, "/v1/districts/"+district.ID+"/dues-settings", fmt.Sprintf(`{"etag":%q,"settings":%s}`, after.Etag, other.Settings), nil)
	replaced := read()
	p.typeInto("#inService-1-up-to", yuan(t, before.InService[1].UpToFen)) // in order again
	p.typeInto("#settings-fixed", "0.50")
	p.click("#settings-save")
	p.waitJS("the refusal of a stale version", `(document.querySelector('.settings-error')?.textContent ?? '').includes('changed by someone else')`)
	if got := read(); got.Etag != replaced.Etag || got.FixedFen != "30" {
		t.Errorf("a save over a replaced version went through: version %s (want %s), fixed %s fen (want 30)", got.Etag, replaced.Etag, got.FixedFen)
	}
	// Loaded again, the form shows the version the other editor saved.
	p.click("#settings-reload")
	p.waitJS("the latest standards loaded", `!document.querySelector('.settings-error') && document.querySelector('#settings-fixed')?.value === '0.30'`)
}
