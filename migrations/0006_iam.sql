-- Access keys created by administrators (docs/OPERATIONS.md). The administrators' own keys are the
-- CREDENTIALS configuration and never stored here.
CREATE TABLE users (
  access_key_id  TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  policy         TEXT NOT NULL,     -- the IAM policy document as given (JSON), validated at creation
  kek_id         TEXT NOT NULL,     -- the KMS key that sealed the secret, as the KMS names it
  sealed_secret  BLOB NOT NULL,     -- the secret's key material sealed by the KMS, bound to access_key_id
  disabled_at    INTEGER,           -- ms since epoch; NULL while the key may sign requests
  created_at     INTEGER NOT NULL   -- ms since epoch
) WITHOUT ROWID;
