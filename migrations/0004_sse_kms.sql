-- SSE-KMS: sse_mode gains 'SSE-KMS'; kek_id then names the KMS key (AWS: its ARN), sealed_key holds
-- the KMS's ciphertext blob (variable length), and kms_context the client's encryption context.
ALTER TABLE objects ADD COLUMN kms_context TEXT;   -- JSON object of the client's SSE-KMS context pairs
ALTER TABLE uploads ADD COLUMN kms_context TEXT;

-- Bucket keys (BucketKeyEnabled): one KMS data key per bucket, KMS key and period; objects' data keys
-- are sealed under it (objects.bucket_key_id) instead of by one KMS call each.
CREATE TABLE bucket_keys (
  id           TEXT PRIMARY KEY,
  bucket       TEXT NOT NULL,
  key_id       TEXT NOT NULL,       -- the KMS key as requests name it (what new writes look it up by)
  kek_id       TEXT NOT NULL,       -- the KMS key that sealed it, as the KMS names it (AWS: the ARN)
  sealed_key   BLOB NOT NULL,       -- the KMS's ciphertext blob
  created_at   INTEGER NOT NULL     -- ms since epoch; a new bucket key starts each period
) WITHOUT ROWID;
CREATE INDEX bucket_keys_current ON bucket_keys (bucket, key_id, created_at);
ALTER TABLE objects ADD COLUMN bucket_key_id TEXT;  -- SSE-KMS with a bucket key: the key that sealed sealed_key
ALTER TABLE uploads ADD COLUMN bucket_key_id TEXT;
