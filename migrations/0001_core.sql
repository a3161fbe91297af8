-- S3 buckets. Object data lives in one R2 bucket; these rows make buckets exist.
CREATE TABLE buckets (
  name        TEXT PRIMARY KEY,
  created_at  INTEGER NOT NULL            -- ms since epoch
) WITHOUT ROWID;

-- The visible version of every object. A row is written only after its blob is complete in R2,
-- so a row never points at a half-written blob.
CREATE TABLE objects (
  bucket               TEXT NOT NULL REFERENCES buckets(name),
  key                  TEXT NOT NULL,
  blob_id              TEXT NOT NULL,     -- R2 key of the stored bytes
  size                 INTEGER NOT NULL,  -- plaintext size in bytes
  etag                 TEXT NOT NULL,     -- quoted, as sent in the ETag header
  last_modified        INTEGER NOT NULL,  -- ms since epoch
  content_type         TEXT,
  cache_control        TEXT,
  content_disposition  TEXT,
  content_encoding     TEXT,
  content_language     TEXT,
  expires              TEXT,
  user_metadata        TEXT NOT NULL DEFAULT '{}',  -- JSON {name: value} of x-amz-meta-* (names lowercased)
  checksum_algorithm   TEXT,              -- CRC32 | CRC32C | CRC64NVME | SHA1 | SHA256
  checksum_value       TEXT,              -- base64, as S3 returns it
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

-- Blobs no longer referenced (replaced or deleted objects, failed writes). Deleted from R2 by the
-- scheduled collector after a grace period, so a GET that already holds the old row can finish.
CREATE TABLE blob_trash (
  blob_id     TEXT PRIMARY KEY,
  trashed_at  INTEGER NOT NULL            -- ms since epoch
) WITHOUT ROWID;
