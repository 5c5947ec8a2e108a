// Package bulkload measures the bulk import of a whole city's roster
// (MemberImportService) beside its ceiling, in one run: the same rows,
// their ID numbers sealed and hashed as the service seals them, copied
// with pgx CopyFrom into a table shaped like members; then the roster
// uploaded as CSV over the API, checked and registered, end to end. The
// benchmark of the member service and the city-wide performance command
// both call Run.
package bulkload

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/member"
)

// Config is one measurement.
type Config struct {
	// Rows is the number of members in the roster.
	Rows int
	// Organisations are the organisations of the local view the rows
	// join, in turn (branches or communities, in the caller's scope).
	Organisations []string
	// Client calls the service's bulk import API as the caller measured.
	Client pb.MemberImportServiceClient
	// Pool is the member service's database (its schema on search_path),
	// for the ceiling.
	Pool *pgxpool.Pool
	// IDKeys and IDHashKey are the service's keys (wiring.Config), so the
	// ceiling seals as the service does.
	IDKeys, IDHashKey string
	// Area is the six-digit division code the rows' ID numbers begin with
	// (610102 when empty): a roster imported beside members seeded with
	// numbers of that area takes another, or its numbers are held already.
	Area string
	// ChunkBytes is the size of the chunks uploaded (1 MiB when 0).
	ChunkBytes int
	// PeakRSS, when set, resets (at the start) and reads (at the end) the
	// peak resident memory of the service's process, in bytes.
	ResetPeakRSS func() error
	PeakRSS      func() (int64, error)
}

// Result is what one measurement found.
type Result struct {
	Rows                 int     `json:"rows"`
	Seconds              float64 `json:"seconds"`
	RowsPerSecond        float64 `json:"rows_per_second"`
	CeilingSeconds       float64 `json:"ceiling_seconds"`
	CeilingRowsPerSecond float64 `json:"ceiling_rows_per_second"`
	Ratio                float64 `json:"ratio"`
	// The indexed ceiling is the same CopyFrom into a table shaped like
	// members with every index members has (not its triggers): what the
	// rows cost the table they go into, before any check or record.
	IndexedCeilingSeconds       float64 `json:"indexed_ceiling_seconds"`
	IndexedCeilingRowsPerSecond float64 `json:"indexed_ceiling_rows_per_second"`
	IndexedRatio                float64 `json:"indexed_ratio"`
	// SentSeconds is when the last chunk was sent (rows are read, checked
	// and staged as they arrive); the rest of Seconds is registration.
	SentSeconds  float64 `json:"sent_seconds"`
	PeakRSSBytes int64   `json:"peak_rss_bytes,omitempty"`
	Job          string  `json:"job"`
}

func (r Result) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// Run measures the ceiling, then the import, of cfg.Rows new members.
// The ceiling's table is dropped afterwards; the imported members stay.
func Run(ctx context.Context, cfg Config) (Result, error) {
	res := Result{Rows: cfg.Rows}
	ids, err := idcrypt.New(cfg.IDKeys, cfg.IDHashKey)
	if err != nil {
		return res, err
	}
	start := time.Now()
	if err := ceiling(ctx, cfg, ids, false); err != nil {
		return res, fmt.Errorf("ceiling: %w", err)
	}
	res.CeilingSeconds = time.Since(start).Seconds()
	res.CeilingRowsPerSecond = float64(cfg.Rows) / res.CeilingSeconds
	start = time.Now()
	if err := ceiling(ctx, cfg, ids, true); err != nil {
		return res, fmt.Errorf("indexed ceiling: %w", err)
	}
	res.IndexedCeilingSeconds = time.Since(start).Seconds()
	res.IndexedCeilingRowsPerSecond = float64(cfg.Rows) / res.IndexedCeilingSeconds
	if cfg.ResetPeakRSS != nil {
		if err := cfg.ResetPeakRSS(); err != nil {
			return res, err
		}
	}
	start = time.Now()
	job, err := upload(ctx, cfg, func() { res.SentSeconds = time.Since(start).Seconds() })
	if err != nil {
		return res, fmt.Errorf("import: %w", err)
	}
	res.Seconds = time.Since(start).Seconds()
	res.RowsPerSecond = float64(cfg.Rows) / res.Seconds
	res.Ratio = res.RowsPerSecond / res.CeilingRowsPerSecond
	res.IndexedRatio = res.RowsPerSecond / res.IndexedCeilingRowsPerSecond
	res.Job = job.GetId()
	if job.GetRowsRegistered() != int64(cfg.Rows) {
		return res, fmt.Errorf("%d of %d rows registered: %v", job.GetRowsRegistered(), cfg.Rows, job)
	}
	if cfg.PeakRSS != nil {
		if res.PeakRSSBytes, err = cfg.PeakRSS(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// Row is the k-th member of a measurement: a birth date of its own in a
// cycle of 15,000 days (all of age to join in 2005), a sequence number
// per cycle, so that 15 million rows have numbers of their own.
type Row struct {
	Name, NationalID, Organisation string
	Birth                          time.Time
}

// RowOf is the k-th row, joining one of orgs in turn, its ID number of
// area (610102 when empty).
func RowOf(k int, orgs []string, area string) Row {
	if area == "" {
		area = "610102"
	}
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, k%15000)
	first := fmt.Sprintf("%s%s%03d", area, birth.Format("20060102"), k/15000%1000)
	return Row{Name: fmt.Sprintf("党员%07d", k), NationalID: first + string(member.CheckCharacter(first)), Birth: birth,
		Organisation: orgs[k%len(orgs)]}
}

// Header is the header of the roster's CSV.
const Header = "姓名,性别,出生日期,身份证号,联系电话,学历,入党日期,党员类别,就业状态,工作单位,居住地址,技能特长,困难党员,组织ID\n"

// Line is a row as a line of the roster.
func (r Row) Line() string {
	return r.Name + ",女," + r.Birth.Format(time.DateOnly) + "," + r.NationalID +
		",13800000000,大专,2005-07-01,正式,退休,市供电公司,金川区广州路3号楼2单元,调解、书法,否," + r.Organisation + "\n"
}

// ceiling copies the rows, sealed, into a table shaped like members with
// its primary key (indexed: with all of members' indexes), and drops it.
func ceiling(ctx context.Context, cfg Config, ids *idcrypt.Sealer, indexed bool) error {
	create := `DROP TABLE IF EXISTS bulkload_ceiling;
		CREATE TABLE bulkload_ceiling (LIKE members INCLUDING DEFAULTS); ALTER TABLE bulkload_ceiling ADD PRIMARY KEY (id)`
	if indexed {
		create = `DROP TABLE IF EXISTS bulkload_ceiling; CREATE TABLE bulkload_ceiling (LIKE members INCLUDING ALL)`
	}
	if _, err := cfg.Pool.Exec(ctx, create); err != nil {
		return err
	}
	defer func() { _, _ = cfg.Pool.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS bulkload_ceiling`) }()
	// Each row sits where the import puts it: its organisation's path and
	// district, which the path-led indexes carry.
	type place struct{ path, district string }
	places := map[string]place{}
	rows, err := cfg.Pool.Query(ctx, `SELECT id::text, path, coalesce(district_id::text, '') FROM orgs WHERE id = ANY($1::uuid[])`,
		cfg.Organisations)
	if err != nil {
		return err
	}
	var id string
	var p place
	if _, err := pgx.ForEachRow(rows, []any{&id, &p.path, &p.district}, func() error { places[id] = p; return nil }); err != nil {
		return err
	}
	cols := []string{"id", "name", "sex", "birth_date", "national_id_sealed", "national_id_hash", "phone", "education",
		"join_date", "status", "employment_status", "employer", "residence", "organisation_id", "district_id", "path", "skills",
		"hardship", "version", "created_at", "updated_at", "category_code", "category_name"}
	join := time.Date(2005, 7, 1, 0, 0, 0, 0, time.UTC)
	now := time.Now()
	k := 0
	_, err = cfg.Pool.CopyFrom(ctx, pgx.Identifier{"bulkload_ceiling"}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if k == cfg.Rows {
			return nil, nil
		}
		r := RowOf(k, cfg.Organisations, cfg.Area)
		k++
		id := member.NewID()
		sealed, err := ids.Seal(r.NationalID, id)
		if err != nil {
			return nil, err
		}
		at := places[r.Organisation]
		return []any{id, r.Name, "FEMALE", r.Birth, sealed, ids.Hash(r.NationalID), "13800000000", "COLLEGE", join, "FULL",
			"RETIRED", "市供电公司", []byte(`{"building":"金川区广州路3号楼2单元"}`), r.Organisation, nullable(at.district),
			at.path, []string{"调解", "书法"},
			false, 1, now, now, "joint", "共管"}, nil
	}))
	return err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// upload opens a job and streams the roster to it, generated as it goes.
func upload(ctx context.Context, cfg Config, sent func()) (*pb.ImportJob, error) {
	created, err := cfg.Client.CreateImportJob(ctx, &pb.CreateImportJobRequest{OrganisationId: ""})
	if err != nil {
		return nil, err
	}
	jobID := created.GetJob().GetId()
	stream, err := cfg.Client.UploadImportChunks(ctx)
	if err != nil {
		return nil, err
	}
	size := cfg.ChunkBytes
	if size == 0 {
		size = 1 << 20
	}
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 64<<10)
		_, _ = w.WriteString(Header)
		for k := range cfg.Rows {
			if _, err := w.WriteString(RowOf(k, cfg.Organisations, cfg.Area).Line()); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(w.Flush())
	}()
	var offset int64
	buf := make([]byte, size)
	for {
		n, err := io.ReadFull(pr, buf)
		end := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !end {
			return nil, err
		}
		if err := stream.Send(&pb.UploadImportChunksRequest{JobId: jobID, Offset: offset, Data: buf[:n], Last: end}); err != nil {
			break // the answer says why
		}
		offset += int64(n)
		if end {
			break
		}
	}
	sent()
	resp, err := stream.CloseAndRecv()
	return resp.GetJob(), err
}
