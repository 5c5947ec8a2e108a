-- The completed transfers of a member, which decide the branch that bills
-- each month (see billCandidatesSQL): one index lookup per member billed.
CREATE INDEX dues_completed_transfers_by_member ON transfers (member_id, updated_at) WHERE state = 'COMPLETED';
