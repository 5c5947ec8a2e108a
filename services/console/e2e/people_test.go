package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"
)

// nationalID makes a national ID number with a correct GB 11643 check
// character for a birth date, with random sequence digits so that reruns
// do not collide; wrong makes the check character wrong.
func nationalID(birth time.Time, wrong bool) string {
	body := fmt.Sprintf("110101%s%03d", birth.Format("20060102"), rand.IntN(1000))
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	checks := "10X98765432"
	c := checks[sum%11]
	if wrong {
		c = checks[(sum+1)%11]
	}
	return body + string(c)
}

func TestNationalIDCheckCharacters(t *testing.T) {
	// GB 11643's own example.
	body := "11010519491231002"
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	if got := "10X98765432"[sum%11]; got != 'X' {
		t.Errorf("check character of %s = %c, want X", body, got)
	}
	good, bad := nationalID(time.Date(1985, 3, 7, 0, 0, 0, 0, time.UTC), false), nationalID(time.Date(1985, 3, 7, 0, 0, 0, 0, time.UTC), true)
	if len(good) != 18 || len(bad) != 18 || good[17] == bad[17] && good[:17] == bad[:17] {
		t.Errorf("good %s, bad %s", good, bad)
	}
}

// member is the part of a member the tests read.
type member struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	OrganisationID string `json:"organisationId"`
}

// members lists every member the query selects, page by page.
func (a *api) members(q url.Values) []member {
	a.t.Helper()
	var out []member
	for {
		var page struct {
			Members []member `json:"members"`
			Next    string   `json:"nextPageToken"`
		}
		q.Set("pageSize", "500")
		a.do("GET", "/v1/members?"+q.Encode(), "", &page)
		out = append(out, page.Members...)
		if page.Next == "" {
			return out
		}
		q.Set("pageToken", page.Next)
	}
}

// namesOf is the path of an organisation's names from below the city, as
// the cascading pickers show it level by level.
func namesOf(a *api, o org, within org) []string {
	byID := map[string]org{within.ID: within}
	for _, x := range a.orgs(url.Values{"ancestorId": {within.ID}}) {
		byID[x.ID] = x
	}
	var names []string
	for _, id := range append(o.AncestorIDs, o.ID) {
		if x, ok := byID[id]; ok && id != within.ID {
			names = append(names, x.Name)
		}
	}
	return names
}

// transferable is a member of the district with no open transfer.
func transferable(a *api, district org) member {
	a.t.Helper()
	for _, m := range a.members(url.Values{"ancestorId": {district.ID}}) {
		var page struct {
			Transfers []struct {
				State string `json:"state"`
			} `json:"transfers"`
		}
		a.do("GET", "/v1/transfers?memberId="+m.ID, "", &page)
		open := false
		for _, tr := range page.Transfers {
			if !strings.Contains("TRANSFER_STATE_COMPLETED TRANSFER_STATE_REJECTED TRANSFER_STATE_WITHDRAWN", tr.State) {
				open = true
			}
		}
		if !open {
			return m
		}
	}
	a.t.Fatal("no member without an open transfer")
	return member{}
}
