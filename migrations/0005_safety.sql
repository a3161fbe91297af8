-- Nothing lost, nothing forged (docs/KEYS.md, docs/RELIABILITY.md).

-- Every part attempt has its own salt in its stream-key derivation; NULL for parts written before.
ALTER TABLE upload_parts ADD COLUMN salt BLOB;
ALTER TABLE object_parts ADD COLUMN salt BLOB;

-- A multipart object's authenticated list of parts: HMAC-SHA256 under a key derived from its data key.
ALTER TABLE objects ADD COLUMN parts_mac BLOB;

-- SSE-C uploads: the manifest key, sealed for a CompleteMultipartUpload that carries no SSE-C key.
ALTER TABLE uploads ADD COLUMN manifest_kek_id TEXT;
ALTER TABLE uploads ADD COLUMN manifest_sealed_key BLOB;
ALTER TABLE uploads ADD COLUMN manifest_key BLOB;

-- Completed uploads, kept for a while so that a retried CompleteMultipartUpload gets the same answer.
CREATE TABLE completed_uploads (
  upload_id     TEXT PRIMARY KEY,
  bucket        TEXT NOT NULL,
  key           TEXT NOT NULL,
  parts         TEXT NOT NULL,      -- JSON [[partNumber, etag], ...] as completed
  etag          TEXT NOT NULL,      -- the object's ETag as answered
  completed_at  INTEGER NOT NULL    -- ms since epoch
) WITHOUT ROWID;
CREATE INDEX completed_uploads_by_time ON completed_uploads (completed_at);
