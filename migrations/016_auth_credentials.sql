-- Authentication owned by the host (issue 16): what the host keeps of a connection's credential,
-- sealed with AES-256-GCM under a key of secrets.key_file (never in clear), and the connect
-- flow's single-use states. Every sealed value carries the id of the key that sealed it, and
-- its associated data binds it to its row ("TABLE:ID"), so a value copied to another row does
-- not open. `tributary secrets rotate-key` re-seals every row of these tables in one transaction.

-- One row per OAuth credential: its tokens. A credential is a connection's own
-- ("connection:<connection id>"), or shared by the connections that name it in auth.credential
-- ("shared:<name>": one connect flow connects them all, one refresh serves them all). A refresh
-- runs under the credential's advisory lock (db::advisory::kCredential and hashtext(credential)),
-- so however many jobs and hosts see the token expire, one of them refreshes it and the others
-- read the new version.
CREATE TABLE auth_credentials (
  credential         text PRIMARY KEY,
  connection_id      uuid REFERENCES connections (id) ON DELETE SET NULL,  -- the last to connect it
  auth_type          text NOT NULL,               -- oauth2
  key_id             text NOT NULL,               -- the key that sealed `sealed`
  -- The sealed JSON {access_token, refresh_token, token_type, scope, extra: {...}}: extra holds
  -- the token answer's other fields (Salesforce's instance_url, Gong's api_base_url_for_customer).
  sealed             bytea NOT NULL,
  version            bigint NOT NULL DEFAULT 1,   -- +1 at each store: a reader knows what it saw
  access_expires_at  timestamptz,                 -- NULL: the vendor gave no expiry
  obtained_at        timestamptz NOT NULL DEFAULT now(),  -- the connect flow's exchange
  refreshed_at       timestamptz,
  refresh_count      bigint NOT NULL DEFAULT 0,
  -- A refresh in flight: set (and committed) before the refresh request is sent, cleared with
  -- its answer's store. Still set when nobody holds the lock: the refresher died between the
  -- vendor's answer and the store, which a single-use refresh token does not survive.
  refresh_started_at timestamptz,
  refresh_started_by text,
  -- Why the credential cannot be used until the connect flow runs again (the vendor refused the
  -- refresh token); NULL when healthy.
  failure            text,
  failed_at          timestamptz,
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- The connect flow's `state`s: one row per authorize URL printed, consumed once by the callback.
-- The row is keyed by the SHA-256 of the state's nonce, so the table alone cannot forge one.
CREATE TABLE oauth_states (
  id             text PRIMARY KEY,               -- hex SHA-256 of the state's nonce
  connection_id  uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  redirect_uri   text NOT NULL,
  key_id         text NOT NULL,
  sealed         bytea NOT NULL,                 -- the sealed PKCE code_verifier
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
