// The metadata of a backup (docs/SCHEMA.md): a D1 database as a SQLite file (the local state of
// `npm run dev`), or the SQL text of `wrangler d1 export`, loaded into memory. Read only.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** Opens `file` (.sql: a D1 export; anything else: a SQLite database, opened read-only). */
export function openMetadata(file) {
  let db;
  if (/\.sql$/i.test(file)) {
    db = new DatabaseSync(':memory:');
    db.exec(readFileSync(file, 'utf8'));
  } else {
    db = new DatabaseSync(file, { readOnly: true });
  }
  const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name));
  if (!tables.has('objects')) throw new Error(`${file} holds no edge-sse metadata (no objects table)`);
  return new Metadata(db, tables);
}

/** The local D1 of `npm run dev` under a wrangler/Miniflare state root (.wrangler/state/v3). */
export function findLocalD1(stateRoot) {
  const dir = join(stateRoot, 'd1', 'miniflare-D1DatabaseObject');
  const candidates = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite').map((f) => join(dir, f)) : [];
  const ours = candidates.filter((f) => {
    const db = new DatabaseSync(f, { readOnly: true });
    try {
      return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'objects'").get() !== undefined;
    } finally {
      db.close();
    }
  });
  if (ours.length === 1) return ours[0];
  if (!ours.length) throw new Error(`no local D1 database with edge-sse metadata under ${dir}: run \`npm run dev\` first, or give --db`);
  throw new Error(`several local D1 databases under ${dir}; choose one with --db:\n  ${ours.join('\n  ')}`);
}

const PAGE = 500;
const UNDER_PREFIX = 'substr(key, 1, length(?2)) = ?2';

class Metadata {
  constructor(db, tables) {
    this.db = db;
    this.tables = tables;
  }

  buckets() {
    return this.db.prepare('SELECT name, created_at, encryption FROM buckets ORDER BY name').all();
  }

  /** Number and plaintext bytes of the objects `objects(filter)` yields. */
  totals({ bucket = null, prefix = '' } = {}) {
    return this.db
      .prepare(`SELECT count(*) AS count, coalesce(sum(size), 0) AS bytes FROM objects WHERE (?1 IS NULL OR bucket = ?1) AND ${UNDER_PREFIX}`)
      .get(bucket, prefix);
  }

  /** Object rows in (bucket, key) order, optionally of one bucket and under a prefix; paged. */
  *objects({ bucket = null, prefix = '' } = {}) {
    const page = this.db.prepare(
      `SELECT * FROM objects WHERE (?1 IS NULL OR bucket = ?1) AND ${UNDER_PREFIX}
         AND (bucket > ?3 OR (bucket = ?3 AND key > ?4)) ORDER BY bucket, key LIMIT ${PAGE}`,
    );
    let after = ['', ''];
    for (;;) {
      const rows = page.all(bucket, prefix, ...after);
      yield* rows;
      if (rows.length < PAGE) return;
      after = [rows.at(-1).bucket, rows.at(-1).key];
    }
  }

  parts(bucket, key) {
    return this.db.prepare('SELECT * FROM object_parts WHERE bucket = ? AND key = ? ORDER BY ordinal').all(bucket, key);
  }

  bucketKey(id) {
    return this.tables.has('bucket_keys') ? (this.db.prepare('SELECT * FROM bucket_keys WHERE id = ?').get(id) ?? null) : null;
  }

  uploads() {
    return this.tables.has('uploads') ? this.db.prepare('SELECT upload_id, bucket, key, initiated, sse_mode FROM uploads ORDER BY bucket, key').all() : [];
  }
}
