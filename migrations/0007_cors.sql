-- A bucket's CORS configuration (PutBucketCors): JSON array of its rules, NULL when it has none.
-- A column of the bucket row, so it goes with the bucket.
ALTER TABLE buckets ADD COLUMN cors TEXT;
