-- A step taken for the member by someone else (the member's confirmation
-- given by the sending side when the member signed on paper, by a bulk
-- transfer's organisation decision, or recorded from a paper record) says
-- so: on_behalf_of is the member it was taken for, the actor who took it.
-- The confirmations written before this migration by anyone but the member
-- were such steps: the history is completed, not changed.
ALTER TABLE transfer_steps ADD COLUMN on_behalf_of uuid;
ALTER TABLE transfer_steps DISABLE TRIGGER transfer_steps_append_only;
UPDATE transfer_steps s SET on_behalf_of = t.member_id
FROM transfers t WHERE t.id = s.transfer_id AND s.action = 'CONFIRMED' AND s.actor_role <> 'member';
ALTER TABLE transfer_steps ENABLE TRIGGER transfer_steps_append_only;
