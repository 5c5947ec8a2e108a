package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/pgcluster"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// The fault suite: the system as `make run` starts it, under a bounded
// write load over REST (organisations and members, four clients), while
// the member service is killed with SIGKILL, PostgreSQL is restarted from
// outside and NATS is killed. Afterwards every acknowledged write is there,
// no request answered 5xx outside the time a fault lasted (and none ever
// answered 500), every creation is on its stream exactly once, both
// services agree on every member count, and the killed parts came back
// without a hand.
func TestFaultsLoseNoAcknowledgedWrite(t *testing.T) {
	s := startSystem(t)
	city := s.create(t, "", `{"kind":"ORGANISATION_KIND_CITY","name":"故障演练市委"}`)
	district := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_DISTRICT","name":"演练区委","parentId":%q}`, city["id"]))
	street := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_STREET","name":"演练街道党工委","parentId":%q}`, district["id"]))
	community := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_COMMUNITY","communityForm":"COMMUNITY_FORM_GENERAL_BRANCH","name":"演练社区党总支","parentId":%q}`, street["id"]))
	branch := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_BRANCH","name":"演练社区第一党支部","parentId":%q}`, community["id"]))
	l := &load{s: s, community: community["id"].(string), branch: branch["id"].(string)}
	l.waitForMemberView(t)

	l.start(4)
	time.Sleep(3 * time.Second)
	l.fault(t, "the member service is killed", func() { s.kill(t, "member", syscall.SIGKILL) }, func() bool {
		return s.pid(t, "member") != 0 && l.memberWriteSucceeds(t)
	})
	time.Sleep(2 * time.Second)
	l.fault(t, "PostgreSQL is restarted from outside", func() { s.restartPostgres(t) }, func() bool {
		return l.memberWriteSucceeds(t)
	})
	time.Sleep(2 * time.Second)
	natsPid := s.pid(t, "nats")
	l.fault(t, "NATS is killed", func() { s.kill(t, "nats", syscall.SIGKILL) }, func() bool {
		return s.pid(t, "nats") != 0 && s.pid(t, "nats") != natsPid && l.memberWriteSucceeds(t)
	})
	time.Sleep(3 * time.Second)
	l.stop()
	t.Logf("load: %d organisations and %d members acknowledged, %d requests in all", len(l.orgs), len(l.members), len(l.results))
	if len(l.orgs) < 20 || len(l.members) < 20 {
		t.Fatalf("only %d organisations and %d members were acknowledged: the load did not exercise the faults", len(l.orgs), len(l.members))
	}

	t.Run("no 5xx outside a fault, and never a 500", func(t *testing.T) {
		unanswered := map[int]int{}
		for _, r := range l.results {
			if r.code >= 500 || r.code == 0 {
				unanswered[r.code]++
			}
			if r.code == http.StatusInternalServerError {
				t.Errorf("%s %s at %s: 500", r.method, r.path, r.at.Format(time.TimeOnly))
			}
			if r.code >= 500 && !l.inWindow(r.at) {
				t.Errorf("%s %s at %s: %d outside every fault (%s)", r.method, r.path, r.at.Format("15:04:05.000"), r.code, l.describeWindows())
			}
		}
		t.Logf("answers other than 2xx/4xx, by status (0: none), all inside a fault: %v", unanswered)
	})
	t.Run("every acknowledged write is there", func(t *testing.T) {
		for _, id := range l.orgs {
			if code, _ := s.rest(t, "GET", "/v1/organisations/"+id, "", ""); code != http.StatusOK {
				t.Errorf("organisation %s: HTTP %d", id, code)
			}
		}
		for _, id := range l.members {
			if code, _ := s.rest(t, "GET", "/v1/members/"+id, "", ""); code != http.StatusOK {
				t.Errorf("member %s: HTTP %d", id, code)
			}
		}
	})
	t.Run("every creation is on its stream exactly once", func(t *testing.T) {
		created := streamCreations(t, s, "ORGANISATION", "gongjian.organisation.v1.organisation_created", func(b []byte) string {
			var ev orgv1.OrganisationCreated
			_ = proto.Unmarshal(b, &ev)
			return ev.GetOrganisation().GetId()
		}, l.orgs)
		registered := streamCreations(t, s, "MEMBER", "gongjian.member.v1.member_registered", func(b []byte) string {
			var ev memberv1.MemberRegistered
			_ = proto.Unmarshal(b, &ev)
			return ev.GetMember().GetId()
		}, l.members)
		for what, seen := range map[string]map[string]int{"organisation": created, "member": registered} {
			ids := l.orgs
			if what == "member" {
				ids = l.members
			}
			for _, id := range ids {
				if seen[id] != 1 {
					t.Errorf("%s %s is on its stream %d times, want once", what, id, seen[id])
				}
			}
		}
	})
	t.Run("both services agree on every member count", func(t *testing.T) {
		var out map[string]any
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
			var code int
			code, out = s.rest(t, "GET", fmt.Sprintf("/v1/organisations/%s/member-counts:reconcile", city["id"]), "", "")
			if diffs, _ := out["differences"].([]any); code == http.StatusOK && len(diffs) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the counts still differ: %v", out)
			}
		}
		if n, _ := out["compared"].(float64); int(n) < 1 {
			t.Errorf("reconciliation compared %v organisations", out["compared"])
		}
	})
	t.Run("the launcher logged each death and restart", func(t *testing.T) {
		out := s.output.String()
		for _, want := range []string{"member exited on its own (signal: killed)", "nats exited on its own (signal: killed)"} {
			if !strings.Contains(out, want) {
				t.Errorf("the launcher's log lacks %q", want)
			}
		}
	})
}

// load writes through the gateway from a few clients at once and keeps
// what was acknowledged and every answer.
type load struct {
	s                 *system
	community, branch string

	mu      sync.Mutex
	orgs    []string
	members []string
	results []result
	windows []window

	seq  atomic.Int64
	stop func()
}

type result struct {
	at           time.Time // answered
	method, path string
	code         int // 0: no answer
}

// window is when a fault lasted: from its start until the system answered
// again, plus the time a request already in flight takes to end.
type window struct{ from, to time.Time }

// windowGrace covers requests that were in flight when a fault ended.
const windowGrace = 5 * time.Second

func (l *load) start(clients int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if (c+i)%2 == 0 {
					l.createOrganisation()
				} else {
					l.createMember()
				}
				time.Sleep(50 * time.Millisecond) // bounded: about 70 writes a second in all
			}
		})
	}
	l.stop = func() { cancel(); wg.Wait() }
}

func (l *load) createOrganisation() {
	n := l.seq.Add(1)
	code, out := l.post("/v1/organisations", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_PARTY_GROUP","name":"第%d党小组","parentId":%q}`, n, l.branch))
	if code == http.StatusOK {
		l.mu.Lock()
		l.orgs = append(l.orgs, out["organisation"].(map[string]any)["id"].(string))
		l.mu.Unlock()
	}
}

func (l *load) createMember() {
	code, out := l.post("/v1/members", l.memberBody())
	if code == http.StatusOK {
		l.mu.Lock()
		l.members = append(l.members, out["member"].(map[string]any)["id"].(string))
		l.mu.Unlock()
	}
}

// memberBody is a new member of the branch with a number of their own:
// each born on a day of their own.
func (l *load) memberBody() string {
	n := l.seq.Add(1)
	birth := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n))
	first := "610102" + birth.Format("20060102") + fmt.Sprintf("%03d", n%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range first {
		sum += int(c-'0') * weights[i]
	}
	return fmt.Sprintf(`{"name":"演练党员%d","sex":"SEX_MALE","birthDate":%q,"nationalId":%q,"joinDate":"2000-07-01",
		"status":"MEMBER_STATUS_FULL","organisationId":%q}`, n, birth.Format(time.DateOnly), first+string("10X98765432"[sum%11]), l.branch)
}

// post sends one write with a bounded wait and records its answer.
func (l *load) post(path, body string) (int, map[string]any) {
	req, _ := http.NewRequest(http.MethodPost, "http://"+l.s.http+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.s.admin)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code, out := 0, map[string]any{}
	if resp, err := http.DefaultClient.Do(req.WithContext(ctx)); err == nil {
		code = resp.StatusCode
		_ = decodeJSON(resp, &out)
	}
	l.mu.Lock()
	// When the answer came: a request already in flight when a fault
	// began is answered inside its window.
	l.results = append(l.results, result{at: time.Now(), method: http.MethodPost, path: path, code: code})
	l.mu.Unlock()
	return code, out
}

// waitForMemberView waits until the member service knows the branch.
func (l *load) waitForMemberView(t *testing.T) {
	for deadline := time.Now().Add(60 * time.Second); !l.memberWriteSucceeds(t); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the member service never learnt of the branch")
		}
	}
}

// memberWriteSucceeds registers one member and says whether it was
// acknowledged: the system takes writes end to end.
func (l *load) memberWriteSucceeds(t *testing.T) bool {
	code, out := l.s.restAs(t, l.s.admin, "POST", "/v1/members", "", l.memberBody())
	if code != http.StatusOK {
		return false
	}
	l.mu.Lock()
	l.members = append(l.members, out["member"].(map[string]any)["id"].(string))
	l.mu.Unlock()
	return true
}

// fault does something to the system, then waits until recovered says it
// is back, and keeps the window it lasted.
func (l *load) fault(t *testing.T, what string, do func(), recovered func() bool) {
	t.Helper()
	from := time.Now()
	do()
	time.Sleep(500 * time.Millisecond) // let the fault bite before asking
	for deadline := time.Now().Add(2 * time.Minute); !recovered(); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the system did not recover within two minutes\n%s", what, tailLines(l.s.output.String(), 40))
		}
	}
	t.Logf("%s: recovered after %s", what, time.Since(from).Round(100*time.Millisecond))
	l.mu.Lock()
	l.windows = append(l.windows, window{from: from, to: time.Now().Add(windowGrace)})
	l.mu.Unlock()
}

func (l *load) describeWindows() string {
	var out []string
	for _, w := range l.windows {
		out = append(out, w.from.Format("15:04:05.000")+"–"+w.to.Format("15:04:05.000"))
	}
	return strings.Join(out, ", ")
}

func (l *load) inWindow(at time.Time) bool {
	for _, w := range l.windows {
		if !at.Before(w.from) && !at.After(w.to) {
			return true
		}
	}
	return false
}

// kill sends sig to the process the launcher runs as name.
func (s *system) kill(t *testing.T, name string, sig syscall.Signal) {
	t.Helper()
	pid := s.pid(t, name)
	if pid == 0 {
		t.Fatalf("%s is not running", name)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatal(err)
	}
}

// restartPostgres restarts the launcher's PostgreSQL with pg_ctl, as an
// operator would, behind the launcher's back.
func (s *system) restartPostgres(t *testing.T) {
	t.Helper()
	bin, err := pgcluster.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.data, "postgres")
	cmd := exec.Command("runuser", "-u", "postgres", "--", filepath.Join(bin, "pg_ctl"), "restart", "-m", "fast", "-w",
		"-D", dir, "-l", filepath.Join(dir, "restart.log"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl restart: %v\n%s", err, out)
	}
}

// streamCreations counts, per entity, the creation events of a stream, and
// fails on an event id seen twice.
func streamCreations(t *testing.T, s *system, stream, subject string, idOf func([]byte) string, want []string) map[string]int {
	t.Helper()
	nc, err := nats.Connect(s.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := ctxFor(t)
	seen := map[string]int{}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		st, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen = map[string]int{}
		msgIDs := map[string]bool{}
		for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
			m, err := st.GetMsg(ctx, seq)
			if err != nil {
				continue // a deleted sequence
			}
			if id := m.Header.Get(jetstream.MsgIDHeader); msgIDs[id] {
				t.Errorf("event %s is on %s twice", id, stream)
			} else {
				msgIDs[id] = true
			}
			if m.Subject == subject {
				seen[idOf(m.Data)]++
			}
		}
		complete := true
		for _, id := range want {
			complete = complete && seen[id] > 0
		}
		if complete || time.Now().After(deadline) {
			return seen
		}
	}
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
