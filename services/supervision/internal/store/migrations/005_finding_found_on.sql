-- The day of an inspection visit, which is the day the finding was
-- recorded unless it was entered later from the group's paper record; an
-- item opened for the finding is due counting from it.
ALTER TABLE inspection_findings ADD COLUMN found_on date;
UPDATE inspection_findings SET found_on = (created_at AT TIME ZONE 'Asia/Shanghai')::date WHERE found_on IS NULL;
ALTER TABLE inspection_findings ALTER COLUMN found_on SET NOT NULL;
