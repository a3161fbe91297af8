-- Multipart uploads. Every part is its own blob and its own encrypted stream (under a key derived
-- from the upload's data key and the part number), so parts may have any size, arrive in any order
-- and be replaced; R2's own multipart API would need equal part sizes. docs/DESIGN.md says more.

-- Uploads in progress: what CreateMultipartUpload fixed for the object to be.
CREATE TABLE uploads (
  upload_id            TEXT PRIMARY KEY,
  bucket               TEXT NOT NULL REFERENCES buckets(name),
  key                  TEXT NOT NULL,
  initiated            INTEGER NOT NULL,  -- ms since epoch
  content_type         TEXT,
  cache_control        TEXT,
  content_disposition  TEXT,
  content_encoding     TEXT,
  content_language     TEXT,
  expires              TEXT,
  user_metadata        TEXT NOT NULL DEFAULT '{}',
  checksum_algorithm   TEXT,              -- declared on create: every part must carry it
  sse_mode             TEXT NOT NULL,
  format_version       INTEGER NOT NULL,
  kek_id               TEXT,
  sealed_key           BLOB NOT NULL,     -- the upload's data key, sealed as an object's (KEYS.md)
  ssec_salt            BLOB,
  ssec_fingerprint     BLOB
) WITHOUT ROWID;
CREATE INDEX uploads_by_key ON uploads (bucket, key, upload_id);

-- Parts uploaded so far; re-uploading a part number replaces its row (and trashes the old blob).
CREATE TABLE upload_parts (
  upload_id       TEXT NOT NULL,
  part_number     INTEGER NOT NULL,
  blob_id         TEXT NOT NULL,
  size            INTEGER NOT NULL,       -- plaintext bytes
  etag            TEXT NOT NULL,          -- quoted
  checksum_value  TEXT,                   -- base64, of the upload's checksum_algorithm
  last_modified   INTEGER NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;

-- The parts of completed multipart objects, in order; objects.blob_id is NULL for these.
CREATE TABLE object_parts (
  bucket          TEXT NOT NULL,
  key             TEXT NOT NULL,
  part_number     INTEGER NOT NULL,       -- the upload's part number (keys the part's stream key)
  ordinal         INTEGER NOT NULL,       -- 1-based position in the object (partNumber=N on GET)
  blob_id         TEXT NOT NULL,
  size            INTEGER NOT NULL,
  etag            TEXT NOT NULL,
  checksum_value  TEXT,
  PRIMARY KEY (bucket, key, ordinal)
) WITHOUT ROWID;

-- objects gains parts_count and checksum_type, and blob_id becomes NULL for multipart objects
-- (SQLite cannot drop NOT NULL in place, so the table is rebuilt).
CREATE TABLE objects_v3 (
  bucket               TEXT NOT NULL REFERENCES buckets(name),
  key                  TEXT NOT NULL,
  blob_id              TEXT,              -- R2 key of the bytes; NULL for multipart objects (object_parts)
  parts_count          INTEGER,           -- NULL for single-PUT objects
  size                 INTEGER NOT NULL,
  etag                 TEXT NOT NULL,
  last_modified        INTEGER NOT NULL,
  content_type         TEXT,
  cache_control        TEXT,
  content_disposition  TEXT,
  content_encoding     TEXT,
  content_language     TEXT,
  expires              TEXT,
  user_metadata        TEXT NOT NULL DEFAULT '{}',
  checksum_algorithm   TEXT,
  checksum_value       TEXT,
  checksum_type        TEXT,              -- FULL_OBJECT | COMPOSITE
  sse_mode             TEXT NOT NULL DEFAULT 'SSE-S3',
  format_version       INTEGER NOT NULL DEFAULT 1,
  kek_id               TEXT,
  sealed_key           BLOB,
  ssec_salt            BLOB,
  ssec_fingerprint     BLOB,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
INSERT INTO objects_v3 (bucket, key, blob_id, parts_count, size, etag, last_modified, content_type, cache_control,
  content_disposition, content_encoding, content_language, expires, user_metadata, checksum_algorithm,
  checksum_value, checksum_type, sse_mode, format_version, kek_id, sealed_key, ssec_salt, ssec_fingerprint)
SELECT bucket, key, blob_id, NULL, size, etag, last_modified, content_type, cache_control, content_disposition,
  content_encoding, content_language, expires, user_metadata, checksum_algorithm, checksum_value,
  CASE WHEN checksum_algorithm IS NULL THEN NULL ELSE 'FULL_OBJECT' END, sse_mode, format_version, kek_id,
  sealed_key, ssec_salt, ssec_fingerprint
FROM objects;
DROP TABLE objects;
ALTER TABLE objects_v3 RENAME TO objects;

-- The garbage collector asks of every blob in R2 whether any row still refers to it.
CREATE INDEX objects_by_blob ON objects (blob_id);
CREATE INDEX object_parts_by_blob ON object_parts (blob_id);
CREATE INDEX upload_parts_by_blob ON upload_parts (blob_id);

-- Where the orphan sweep of the blob store stopped (R2 list cursor), so each run goes on from there.
CREATE TABLE gc_state (
  name   TEXT PRIMARY KEY,
  value  TEXT NOT NULL
) WITHOUT ROWID;
