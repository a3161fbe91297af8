-- The audit log of key use (docs/OPERATIONS.md): entries live in R2 segments audit/<seq>-<hash>;
-- this one row anchors the chain. A flush moves it by compare-and-set, so concurrent isolates
-- cannot fork the chain: a flush that loses the race chains its entries again after the winner.
CREATE TABLE audit_head (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  seq   INTEGER NOT NULL,   -- number of the last segment
  n     INTEGER NOT NULL,   -- number of the last entry
  hash  TEXT NOT NULL       -- hash of the last entry (64 zeros before the first)
);
INSERT INTO audit_head (id, seq, n, hash) VALUES (1, 0, 0, '0000000000000000000000000000000000000000000000000000000000000000');
