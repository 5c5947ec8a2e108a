package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
)

// reencryptBatch is how many rows one transaction re-encrypts.
const reencryptBatch = 500

// Reencrypt seals again, under the current key, every national ID number
// sealed under an older one, in batches, and returns how many it sealed.
// It runs beside the service: rows are locked one batch at a time.
func (s *Store) Reencrypt(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := pgdb.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			n = 0
			rows, err := tx.Query(ctx, `SELECT id::text, national_id_sealed FROM members
				WHERE national_id_sealed NOT LIKE $1 || ':%' LIMIT $2 FOR UPDATE SKIP LOCKED`, s.ids.Current(), reencryptBatch)
			if err != nil {
				return err
			}
			type row struct{ id, sealed string }
			list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
				var x row
				return x, r.Scan(&x.id, &x.sealed)
			})
			if err != nil {
				return err
			}
			n = len(list)
			if n == 0 {
				return nil
			}
			b := &pgx.Batch{}
			for _, r := range list {
				plain, err := s.ids.Open(r.sealed, r.id)
				if err != nil {
					return err
				}
				resealed, err := s.ids.Seal(plain, r.id)
				if err != nil {
					return err
				}
				b.Queue(`UPDATE members SET national_id_sealed = $2 WHERE id = $1`, r.id, resealed)
			}
			return tx.SendBatch(ctx, b).Close()
		})
		total += n
		if err != nil || n < reencryptBatch {
			return total, err
		}
	}
}
