-- relaymail queue schema, version 1, for PostgreSQL 13 or newer.
-- JdbcQueueStore.createSchema() runs this script once (under an advisory lock); a DBA may run it by hand.
-- It carries the same data as the file store's record format (per message and per recipient).
-- Statements are separated by lines holding only ";".

CREATE TABLE relaymail_schema_version (
  version    integer     PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
)
;
-- Queue ids: allocated from this sequence and printed as 13 Crockford base32 digits.
CREATE SEQUENCE relaymail_message_id_seq AS bigint START WITH 1 CACHE 1
;
CREATE TABLE relaymail_message (
  id               bigint      PRIMARY KEY,
  sender           text        NOT NULL,                 -- local@domain, '' for the null reverse path <>
  sender_domain    text        NOT NULL,                 -- lower-cased domain, '' for <>
  env_id           text,                                 -- RFC 3461 ENVID
  ret              text        CHECK (ret IN ('FULL', 'HDRS')),
  body             text        NOT NULL CHECK (body IN ('7BIT', '8BITMIME', 'BINARYMIME')),
  smtp_utf8        boolean     NOT NULL,
  arrival_time     timestamptz NOT NULL,
  size             bigint      NOT NULL CHECK (size >= 0),
  chunk_count      integer     NOT NULL CHECK (chunk_count >= 0),
  tenant           text,
  tags             text[]      NOT NULL DEFAULT '{}',
  idempotency_key  text,
  next_attempt_at  timestamptz NOT NULL,
  held             boolean     NOT NULL DEFAULT false,
  lease_token      text,                                 -- the current lease, if any
  lease_expires_at timestamptz,                          -- on the lease clock (the database's now() by default)
  CHECK ((lease_token IS NULL) = (lease_expires_at IS NULL))
)
;
CREATE INDEX relaymail_message_due ON relaymail_message (next_attempt_at, id) WHERE NOT held
;
CREATE INDEX relaymail_message_tenant ON relaymail_message (tenant, id) WHERE tenant IS NOT NULL
;
CREATE TABLE relaymail_recipient (
  message_id         bigint      NOT NULL REFERENCES relaymail_message (id) ON DELETE CASCADE,
  ordinal            integer     NOT NULL,             -- enqueue order
  mailbox            text        NOT NULL,
  domain             text        NOT NULL,             -- lower-cased, for filters
  notify_on          text[]      NOT NULL DEFAULT '{}', -- RFC 3461 NOTIFY: NEVER, SUCCESS, FAILURE, DELAY
  orcpt              text,                             -- RFC 3461 ORCPT as given
  state              text        NOT NULL CHECK (state IN ('PENDING', 'DEFERRED', 'DELIVERED', 'FAILED', 'EXPIRED')),
  attempts           integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  first_attempt_at   timestamptz,
  last_attempt_at    timestamptz,
  last_reply_code    integer,
  last_reply_lines   text[],                           -- reply text per line, enhanced code included as sent
  last_reply_enhanced text,                            -- RFC 3463 code parsed from the reply, e.g. 5.1.1
  remote_mta         text,
  failure_class      text        NOT NULL DEFAULT 'NONE',
  delay_warning_sent boolean     NOT NULL DEFAULT false,
  bounce_sent        boolean     NOT NULL DEFAULT false,
  PRIMARY KEY (message_id, ordinal)
)
;
CREATE INDEX relaymail_recipient_domain ON relaymail_recipient (domain)
;
-- Content in chunk rows, so that no driver reads a whole large message into memory.
CREATE TABLE relaymail_content_chunk (
  message_id bigint  NOT NULL REFERENCES relaymail_message (id) ON DELETE CASCADE,
  seq        integer NOT NULL,
  data       bytea   NOT NULL,
  PRIMARY KEY (message_id, seq)
)
;
-- Idempotency keys, kept for a bounded window after enqueue (and while the message is queued).
CREATE TABLE relaymail_idempotency (
  idem_key   text        PRIMARY KEY,
  message_id bigint      NOT NULL,
  expires_at timestamptz NOT NULL
)
;
CREATE INDEX relaymail_idempotency_expiry ON relaymail_idempotency (expires_at)
;
INSERT INTO relaymail_schema_version (version) VALUES (1)
