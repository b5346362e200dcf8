-- An upload that ended before its list did (a line refused part-way, the connection closed
-- mid-body) still ends its campaign's accepting: the campaign goes on with the recipients
-- queued so far, and finishes once they are sent. This says its list was cut, until a
-- resubmission under the same campaign reads a list to its end.
ALTER TABLE campaigns ADD COLUMN list_incomplete boolean NOT NULL DEFAULT false;

-- Campaigns cut before this migration were left accepting for good. No upload outlives
-- WXGATE_REQUEST_TIMEOUT_MS (at most 300 s): one still accepting an hour after its creation
-- was cut, and is accepted now as an upload cut from here on would be.
UPDATE campaigns c SET
  list_incomplete = true,
  accepted_at = now(),
  recipients = (SELECT count(*) FROM sends s WHERE s.campaign_id = c.id),
  state = CASE WHEN c.state = 'accepting' THEN 'running' ELSE c.state END
WHERE c.accepted_at IS NULL AND c.state IN ('accepting', 'paused') AND c.created_at < now() - interval '1 hour';
