import { describe, expect, it } from 'vitest';
import { KeyCache, cacheId } from './key-cache';

describe('KeyCache', () => {
  const key = new Uint8Array([1, 2, 3]);

  it('loads once within the TTL and again after it', async () => {
    const cache = new KeyCache({ ttlMs: 1000, maxEntries: 10 });
    let loads = 0;
    const load = async () => (loads++, key);
    await cache.get('a', load, 0);
    await cache.get('a', load, 999);
    expect(loads).toBe(1);
    await cache.get('a', load, 1000);
    expect(loads).toBe(2);
  });

  it('evicts the least recently used entry beyond its size', async () => {
    const cache = new KeyCache({ ttlMs: 1000, maxEntries: 2 });
    let loads = 0;
    const load = async () => (loads++, key);
    await cache.get('a', load, 0);
    await cache.get('b', load, 0);
    await cache.get('a', load, 1);
    await cache.get('c', load, 2);
    await cache.get('a', load, 3);
    expect(loads).toBe(3);
    await cache.get('b', load, 4);
    expect(loads).toBe(4);
  });

  it('purges expired keys on access, those of other ids included', async () => {
    const cache = new KeyCache({ ttlMs: 1000, maxEntries: 10 });
    const load = async () => key;
    for (const id of ['a', 'b', 'c']) await cache.get(id, load, 0);
    await cache.get('d', load, 500);
    expect(cache.size).toBe(4);
    await cache.get('d', load, 1200); // a, b, c expired at 1000; d lives until 1500
    expect(cache.size).toBe(1);
    cache.set('e', key, 1300);
    await cache.get('e', load, 2400); // swept again at 2200 at the latest: d gone, e expired on access
    expect(cache.size).toBe(1);
  });

  it('is off with a TTL of 0', async () => {
    const cache = new KeyCache({ ttlMs: 0, maxEntries: 10 });
    let loads = 0;
    const load = async () => (loads++, key);
    await cache.get('a', load);
    await cache.get('a', load);
    expect(loads).toBe(2);
  });

  it('derives ids that do not collide across part boundaries', async () => {
    expect(await cacheId('ab', 'c')).not.toBe(await cacheId('a', 'bc'));
    expect(await cacheId('a', new Uint8Array([1]))).toBe(await cacheId('a', new Uint8Array([1])));
  });
});
