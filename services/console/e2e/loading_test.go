package e2e

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// TestATableSaysItsRowsAreLoading holds the member list's request in the
// browser and sees the table masked as loading (Element Plus' v-loading)
// until the answer arrives, then the rows without the mask. A directive
// the application does not register is dropped silently by Vue's
// production build: the table would sit empty, saying nothing.
func TestATableSaysItsRowsAreLoading(t *testing.T) {
	p := openBrowser(t, "district-admin")
	p.signIn("区(县)委组织部", []string{cityName, jinchangName}, "")

	held := make(chan fetch.RequestID, 1)
	var first atomic.Bool
	chromedp.ListenTarget(p.ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		if first.CompareAndSwap(false, true) {
			held <- e.RequestID
			return
		}
		// Any later request of the list goes on at once.
		go func() { _ = chromedp.Run(p.ctx, fetch.ContinueRequest(e.RequestID)) }()
	})
	p.run("hold the member list's requests", fetch.Enable().WithPatterns([]*fetch.RequestPattern{
		{URLPattern: "*/v1/members?*", RequestStage: fetch.RequestStageRequest}}))
	p.run("open the member list", chromedp.Navigate(p.base+"/members"))

	var id fetch.RequestID
	select {
	case id = <-held:
	case <-time.After(25 * time.Second):
		t.Fatal("the member list asked for no members")
	}
	p.waitJS("the table masked while its rows load", `!!document.querySelector('.member-table .el-loading-mask')`)
	p.run("let the answer through", fetch.ContinueRequest(id))
	p.waitJS("the rows", `document.querySelectorAll('.member-table tbody tr').length > 0`)
	p.loaded()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	_ = chromedp.Run(ctx, fetch.Disable())
}
