-- A sheet's arrays are compressed with lz4 rather than pglz. A branch's
-- sheet of some forty lines is about 3 KB, over the size at which
-- PostgreSQL compresses a row, so every sheet written is compressed: with
-- pglz, compression was about half the cost of writing a sheet; lz4 gives
-- the same size (the arrays of small integers and of time-ordered ids
-- compress alike) and wrote the same sheets with COPY 1.5 to 2.5 times as
-- fast (README, "Figures measured"). Only values written from now on are
-- compressed so; those already written stay as they are, readable alike.
-- PostgreSQL must be built with lz4 (the distributions' and the official
-- images' are).
ALTER TABLE dues_sheets
    ALTER COLUMN member_ids SET COMPRESSION lz4,
    ALTER COLUMN amount_fen SET COMPRESSION lz4,
    ALTER COLUMN band_kind SET COMPRESSION lz4,
    ALTER COLUMN rate_basis_points SET COMPRESSION lz4,
    ALTER COLUMN monthly_income_fen SET COMPRESSION lz4,
    ALTER COLUMN declaration_ids SET COMPRESSION lz4,
    ALTER COLUMN exemption_ids SET COMPRESSION lz4;
