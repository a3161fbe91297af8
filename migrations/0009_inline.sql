-- Small objects kept whole in their row (docs/DESIGN.md, "Small objects in their row"): the same
-- encrypted stream a blob would hold (docs/FORMAT.md), so a small PUT or GET makes no R2 call.
-- blob_id is NULL for such a row, as for a multipart object (parts_count tells them apart).
ALTER TABLE objects ADD COLUMN inline_data BLOB;
