package roster

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/member/internal/member"
)

// The encodings of a bulk roster, which is CSV: a workbook cannot be
// read before its end, so large rosters travel as text.
const (
	EncodingUTF8 = "UTF-8"
	EncodingGBK  = "GBK"
)

// Chunk is a piece of a job's file at its byte offset.
type Chunk struct {
	JobID  string
	Offset int64
	Data   []byte
	Last   bool
}

// errStreamEnded ends the reading of a stream that ended before the
// file's last chunk: the rows read to the end are kept, a partial one
// is not.
var errStreamEnded = errors.New("the upload ended before the file's last chunk")

// Upload takes the chunks next returns (io.EOF at the end of the
// stream) into a job: bytes already received are skipped, a chunk past
// them is refused, and each batch of rows read is staged with the offset
// it ends at, so a broken stream loses at most the rows of a batch, which
// the client sends again from the job's resume offset. The last chunk
// closes the file; its rows are then registered (Register) and the job
// is returned as it stands.
func (s *BulkService) Upload(ctx context.Context, jobID string, next func() (Chunk, error)) (*Job, error) {
	job, err := s.Job(ctx, jobID)
	if err != nil {
		return nil, err
	}
	if job.State == JobRegistering || job.State == JobDone || job.State == JobFailed {
		// A client resuming after the last chunk: nothing to receive, the
		// registration goes on if it had stopped.
		if err := drain(job, next); err != nil {
			return nil, err
		}
		if job.State == JobRegistering {
			return s.registerDetached(ctx, jobID)
		}
		return job, nil
	}
	r := newBulkReader(s, job)
	last, err := r.feed(ctx, next)
	if err != nil {
		return nil, err
	}
	if !last {
		return s.Job(ctx, jobID)
	}
	return s.registerDetached(ctx, jobID)
}

// registerDetached registers a job's rows in work of its own, which goes
// on when the client leaves (GetImportJob follows it), and returns the
// job when it is done or the client left.
func (s *BulkService) registerDetached(ctx context.Context, jobID string) (*Job, error) {
	type result struct {
		job *Job
		err error
	}
	done := make(chan result, 1)
	go func() {
		job, err := s.Register(context.WithoutCancel(ctx), jobID)
		done <- result{job, err}
	}()
	select {
	case r := <-done:
		return r.job, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// drain reads the rest of a stream to a job that has its file: chunks
// of bytes it has are sent again, and change nothing; a chunk past them
// is refused.
func drain(job *Job, next func() (Chunk, error)) error {
	for {
		c, err := next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if c.JobID != job.ID {
			return errs.Field(member.ErrInvalid, "job_id", "every chunk of a stream names the same job")
		}
		if c.Offset+int64(len(c.Data)) > job.ReceivedBytes {
			return ErrJobClosed
		}
	}
}

// bulkReader reads one stream of a job's file: the chunks go through a
// pipe to a CSV reader, whose complete rows are checked and staged in
// batches while the next chunks arrive.
type bulkReader struct {
	svc   *BulkService
	job   *Job
	today time.Time
	// base and baseLines are where this stream's bytes start in the file.
	base, baseLines int64
	layout          layout
	missing         []Problem
	orgs            *orgCache
	seq             int64
}

func newBulkReader(s *BulkService, job *Job) *bulkReader {
	return &bulkReader{svc: s, job: job, today: s.clock.Today(), base: job.ReceivedBytes, baseLines: job.ReceivedLines,
		seq: job.RowsReceived, orgs: newOrgCache(s.store, job.ScopeID)}
}

// feed pipes the stream's chunks to the reader, and says whether the
// last chunk arrived.
func (r *bulkReader) feed(ctx context.Context, next func() (Chunk, error)) (bool, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		// Rows received are checked and staged even when the client has
		// gone: the stream's end is the pipe's.
		err := r.read(context.WithoutCancel(ctx), pr)
		// The stream's chunks stop going anywhere: send ends.
		_ = pr.CloseWithError(errors.New("the reading stopped"))
		done <- err
	}()
	last, err := r.send(next, pw)
	if err != nil {
		_ = pw.CloseWithError(errStreamEnded)
	} else if last {
		_ = pw.Close()
	} else {
		_ = pw.CloseWithError(errStreamEnded)
	}
	readErr := <-done
	if readErr != nil {
		return false, readErr
	}
	return last, err
}

// send writes the new bytes of each chunk to w until the last chunk or
// the end of the stream.
func (r *bulkReader) send(next func() (Chunk, error), w *io.PipeWriter) (bool, error) {
	pos := r.base
	for {
		c, err := next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if c.JobID != r.job.ID {
			return false, errs.Field(member.ErrInvalid, "job_id", "every chunk of a stream names the same job")
		}
		end := c.Offset + int64(len(c.Data))
		if c.Offset > pos {
			return false, errs.Field(ErrOffset, "offset",
				fmt.Sprintf("the chunk starts at byte %d; the job has %d bytes: resume from there", c.Offset, pos))
		}
		if end > pos {
			if r.job.Encoding == "" {
				r.job.Encoding = detectEncoding(c.Data[pos-c.Offset:], c.Last)
			}
			if _, err := w.Write(c.Data[pos-c.Offset:]); err != nil {
				return false, nil // the reader stopped; it says why
			}
			pos = end
		}
		if c.Last {
			return true, nil
		}
	}
}

// detectEncoding tells UTF-8 from GBK by the first bytes of a file; a
// character cut by the chunk's end does not count against UTF-8.
func detectEncoding(first []byte, last bool) string {
	for b := first; len(b) > 0; {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			if !last && !utf8.FullRune(b) {
				return EncodingUTF8
			}
			return EncodingGBK
		}
		b = b[size:]
	}
	return EncodingUTF8
}

// read reads rows from the pipe, staging them in batches.
func (r *bulkReader) read(ctx context.Context, pipe io.Reader) error {
	cr := csv.NewReader(pipe)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	stager := newStager(ctx, r.svc.store, r.job)
	err := r.readRows(ctx, cr, stager)
	if errors.Is(err, errStaging) {
		err = nil
	}
	return errors.Join(err, stager.close())
}

func (r *bulkReader) readRows(ctx context.Context, cr *csv.Reader, stager *stager) error {
	batch := make([]Staged, 0, r.svc.BatchRows)
	endBytes, endLines := r.base, r.baseLines
	flush := func() error {
		r.job.ReceivedBytes, r.job.ReceivedLines, r.job.RowsReceived = endBytes, endLines, r.seq
		if err := r.check(ctx, batch); err != nil {
			return err
		}
		err := stager.stage(batch)
		batch = make([]Staged, 0, r.svc.BatchRows)
		return err
	}
	for {
		cells, err := cr.Read()
		if err != nil {
			var pe *csv.ParseError
			switch {
			case errors.Is(err, io.EOF) && r.job.Header == nil:
				err = contentErr("the file is empty")
				r.svc.fail(ctx, r.job, err)
			case errors.Is(err, io.EOF):
				r.job.State = JobRegistering // the file's end: staged with its last rows
				return flush()
			case errors.Is(err, errStreamEnded):
				return flush()
			case errors.As(err, &pe):
				err = contentErr("not CSV: %v", pe)
				r.svc.fail(ctx, r.job, err)
			}
			return err
		}
		line, _ := cr.FieldPos(0)
		endLine := int64(line)
		for _, c := range cells {
			endLine += int64(strings.Count(c, "\n"))
		}
		row, err := r.row(int64(line)+r.baseLines, cells)
		if err != nil {
			r.svc.fail(ctx, r.job, err)
			return err
		}
		endBytes, endLines = r.base+cr.InputOffset(), r.baseLines+endLine
		if row == nil {
			continue
		}
		batch = append(batch, *row)
		if len(batch) == r.svc.BatchRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// row reads one record: the header when the job has none yet, else a row
// checked on its own; nil for a blank line or the header.
func (r *bulkReader) row(line int64, cells []string) (*Staged, error) {
	blank := true
	for i, c := range cells {
		if r.job.Encoding == EncodingGBK {
			decoded, err := simplifiedchinese.GB18030.NewDecoder().String(c)
			if err != nil || !utf8.ValidString(decoded) {
				return nil, contentErr("the file is neither UTF-8 nor GBK text")
			}
			c = decoded
		}
		cells[i] = strings.TrimSpace(c)
		blank = blank && cells[i] == ""
	}
	if blank {
		return nil, nil
	}
	if r.job.Header == nil {
		cells[0] = strings.TrimPrefix(cells[0], "\uFEFF")
		r.job.Header = cells
	}
	if r.layout == nil {
		l, err := layoutOf(r.job.Header)
		if err != nil {
			return nil, err
		}
		r.layout, r.missing = l, l.missing()
		if r.base == 0 {
			return nil, nil // the header itself
		}
	}
	rr := rowReader{layout: r.layout, defaultOrg: r.job.OrganisationID}
	m, problems := rr.member(cells, r.today)
	m.ID = member.NewID()
	r.seq++
	return &Staged{Seq: r.seq, Line: line, Member: m, Problems: append(slices.Clone(r.missing), problems...)}, nil
}

// check looks up the organisations of a batch (refusing rows whose
// organisation is missing, outside the job's scope or unable to hold
// members) and classifies the others by their district's scheme.
func (r *bulkReader) check(ctx context.Context, batch []Staged) error {
	var ids []string
	for i := range batch {
		if !hasProblem(batch[i].Problems, "organisation_id") {
			ids = append(ids, batch[i].Member.OrganisationID)
		}
	}
	if err := r.orgs.load(ctx, ids); err != nil {
		return err
	}
	for i := range batch {
		row := &batch[i]
		if hasProblem(row.Problems, "organisation_id") {
			continue
		}
		o, problem := r.orgs.check(row.Member.OrganisationID)
		if problem != "" {
			row.Problems = append(row.Problems, Problem{Field: "organisation_id", Message: problem})
			continue
		}
		m := row.Member
		m.DistrictID, m.Path = o.DistrictID, o.Path
		c, err := r.orgs.classifier(ctx, o.DistrictID)
		if err != nil {
			return err
		}
		cat, _ := c.Classify(m, r.today)
		m.Category = member.Category{Code: cat.Code, Name: cat.Name}
	}
	return nil
}

func hasProblem(ps []Problem, field string) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool { return p.Field == field })
}

// fail marks a job whose file cannot be read.
func (s *BulkService) fail(ctx context.Context, job *Job, cause error) {
	if !isDomain(cause) {
		return
	}
	_ = s.store.InBulkTx(ctx, func(tx BulkTx) error {
		j, err := tx.LockJob(ctx, job.ID)
		if err != nil {
			return err
		}
		j.State, j.Error, j.Updated = JobFailed, violationOf(cause), s.clock.Now()
		return tx.SaveJob(ctx, j)
	})
}

// orgCache keeps the organisations a job's rows named, and the
// classifiers of their districts.
type orgCache struct {
	store       BulkStore
	scopeID     string
	scope       *member.Org
	orgs        map[string]*member.Org
	classifiers map[string]*member.Classifier
}

func newOrgCache(store BulkStore, scopeID string) *orgCache {
	return &orgCache{store: store, scopeID: scopeID, orgs: map[string]*member.Org{},
		classifiers: map[string]*member.Classifier{}}
}

// load reads the organisations of ids not read yet (a missing one is
// remembered as nil).
func (c *orgCache) load(ctx context.Context, ids []string) error {
	var want []string
	if c.scopeID != "" && c.scope == nil {
		want = append(want, c.scopeID)
	}
	for _, id := range ids {
		if _, ok := c.orgs[id]; !ok && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return nil
	}
	found, err := c.store.OrgsOf(ctx, want)
	if err != nil {
		return err
	}
	for _, id := range want {
		c.orgs[id] = found[id]
	}
	if c.scopeID != "" && c.scope == nil {
		// A scope the view does not know holds nothing.
		if c.scope = c.orgs[c.scopeID]; c.scope == nil {
			c.scope = &member.Org{Path: "\x00"}
		}
	}
	return nil
}

// check is the organisation id and the problem of a row joining it, ""
// when there is none: Import's messages.
func (c *orgCache) check(id string) (*member.Org, string) {
	o := c.orgs[id]
	if o == nil || (c.scope != nil && !strings.HasPrefix(o.Path, c.scope.Path)) {
		return nil, "no organisation has this id"
	}
	if err := member.CheckHolds(o, "organisation_id"); err != nil {
		return nil, violationOf(err)
	}
	return o, ""
}

func (c *orgCache) classifier(ctx context.Context, districtID string) (*member.Classifier, error) {
	if cl, ok := c.classifiers[districtID]; ok {
		return cl, nil
	}
	cl, err := c.store.Classifier(ctx, districtID)
	if err != nil {
		return nil, err
	}
	c.classifiers[districtID] = cl
	return cl, nil
}

// stager stages batches in a goroutine of its own, so that the next batch
// is read and checked while one is copied; one batch waits at most.
type stager struct {
	job       *Job
	ch        chan stageReq
	done      chan struct{}
	err       error // the first failure, read after done
	failed    atomic.Bool
	lastBytes int64
}

type stageReq struct {
	job  Job
	from int64
	rows []Staged
}

// errStaging stops the reading after a batch could not be staged; close
// says why.
var errStaging = errors.New("a batch could not be staged")

func newStager(ctx context.Context, store BulkStore, job *Job) *stager {
	s := &stager{job: job, ch: make(chan stageReq, 1), done: make(chan struct{}), lastBytes: job.ReceivedBytes}
	go func() {
		defer close(s.done)
		for req := range s.ch {
			if s.err != nil {
				continue
			}
			if err := store.Stage(ctx, &req.job, req.from, req.rows); err != nil {
				s.err = err
				s.failed.Store(true)
			}
		}
	}()
	return s
}

// stage queues a batch with the job as it stands after it.
func (s *stager) stage(rows []Staged) error {
	if s.failed.Load() {
		return errStaging
	}
	if len(rows) == 0 && s.job.ReceivedBytes == s.lastBytes && s.job.State == JobReceiving {
		return nil
	}
	job := *s.job
	s.ch <- stageReq{job: job, from: s.lastBytes, rows: rows}
	s.lastBytes = job.ReceivedBytes
	return nil
}

// close waits for the batches queued and returns the first failure.
func (s *stager) close() error {
	close(s.ch)
	<-s.done
	return s.err
}
