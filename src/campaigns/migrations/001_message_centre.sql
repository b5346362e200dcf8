-- The message centre's records: one row per campaign, one row per send (a campaign's recipient
-- or a single template message), and WeChat's delivery reports waiting for their send.

CREATE TABLE campaigns (
  id              text PRIMARY KEY,
  appid           text NOT NULL,
  idempotency_key text,
  template_id     text NOT NULL,
  url             text,
  miniprogram     jsonb,
  -- The data shared by every recipient; each send's own data is merged over it.
  data            jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- accepting (recipients still being read), running, paused, cancelled. "finished" is derived
  -- from the sends' states, so it can never disagree with them.
  state           text NOT NULL DEFAULT 'accepting',
  recipients      integer NOT NULL DEFAULT 0,
  paused_until    timestamptz,
  pause_reason    text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  accepted_at     timestamptz,
  cancelled_at    timestamptz
);
CREATE UNIQUE INDEX campaigns_idempotency ON campaigns (appid, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE sends (
  -- The BullMQ job id: derived from (campaign, openid) or from the single message's key.
  id           text PRIMARY KEY,
  campaign_id  text REFERENCES campaigns (id) ON DELETE CASCADE,
  appid        text NOT NULL,
  openid       text NOT NULL,
  template_id  text NOT NULL,
  -- Campaign sends: the recipient's own data; single messages: the whole payload.
  data         jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- queued, sent, delivered, blocked, failed, cancelled
  status       text NOT NULL DEFAULT 'queued',
  errcode      integer,
  errmsg       text,
  msgid        bigint,
  attempts     integer NOT NULL DEFAULT 0,
  queued_at    timestamptz NOT NULL DEFAULT now(),
  sent_at      timestamptz,
  reported_at  timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sends_campaign_status ON sends (campaign_id, status, openid);
CREATE INDEX sends_user ON sends (appid, openid, queued_at DESC);
CREATE UNIQUE INDEX sends_msgid ON sends (appid, msgid) WHERE msgid IS NOT NULL;

-- TEMPLATESENDJOBFINISH reports, kept until their send is on record (a report can arrive
-- before the send's own row is written: the writer batches).
CREATE TABLE template_reports (
  appid        text NOT NULL,
  msgid        bigint NOT NULL,
  openid       text,
  status       text NOT NULL,
  wechat_status text NOT NULL,
  reported_at  timestamptz NOT NULL,
  PRIMARY KEY (appid, msgid)
);

-- A record only moves forward: queued → cancelled → sent → delivered / blocked / failed. A send
-- in flight when its campaign was cancelled still went out (nothing sent is unsent).
CREATE FUNCTION wxgate_send_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE status WHEN 'queued' THEN 0 WHEN 'cancelled' THEN 1 WHEN 'sent' THEN 2 ELSE 3 END
$$;
