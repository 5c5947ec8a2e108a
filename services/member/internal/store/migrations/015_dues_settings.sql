-- A district's party dues bands (DOMAIN §5); a district without a row has
-- the defaults. Each table is a jsonb array of {up_to_fen,
-- rate_basis_points}, ascending, the last with no upper limit (0).
CREATE TABLE dues_settings (
    district_id uuid PRIMARY KEY,
    in_service  jsonb NOT NULL,
    retired     jsonb NOT NULL,
    fixed_fen   bigint NOT NULL CHECK (fixed_fen >= 0),
    version     bigint NOT NULL CHECK (version > 0),
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL
);
