-- Encryption at rest: every object's bytes are a chunked AEAD stream (docs/FORMAT.md) under its own
-- data key, stored here only sealed (docs/KEYS.md).
ALTER TABLE objects ADD COLUMN sse_mode TEXT NOT NULL DEFAULT 'SSE-S3'; -- SSE-S3 | SSE-C
ALTER TABLE objects ADD COLUMN format_version INTEGER NOT NULL DEFAULT 1; -- stream format of the blob
ALTER TABLE objects ADD COLUMN kek_id TEXT;          -- SSE-S3: name of the master key that sealed the data key
ALTER TABLE objects ADD COLUMN sealed_key BLOB;      -- the sealed data key (61 bytes)
ALTER TABLE objects ADD COLUMN ssec_salt BLOB;       -- SSE-C: salt of the key fingerprint
ALTER TABLE objects ADD COLUMN ssec_fingerprint BLOB; -- SSE-C: HMAC-SHA256(salt, client key)

-- Bucket default encryption (PutBucketEncryption), as JSON; NULL means the default: SSE-S3.
ALTER TABLE buckets ADD COLUMN encryption TEXT;
