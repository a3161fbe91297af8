import { describe, expect, it } from 'vitest';
import { checkPreconditions } from './conditional';

const etag = '"9b2cf535f27731c974343645a3985328"';
const lastModified = new Date('2024-05-01T12:00:00.750Z');
const v = { etag, lastModified };
const check = (h: Record<string, string>) => checkPreconditions(new Headers(h), v);

const BEFORE = 'Wed, 01 May 2024 11:59:59 GMT';
const SAME_SECOND = 'Wed, 01 May 2024 12:00:00 GMT';
const AFTER = 'Wed, 01 May 2024 12:00:01 GMT';
const OTHER = '"0000"';

describe('checkPreconditions', () => {
  it('is ok without conditions', () => {
    expect(check({})).toBe('ok');
  });

  describe('If-Match', () => {
    it('passes on a matching tag, with or without quotes, weak prefix, in a list, or *', () => {
      for (const value of [etag, '9b2cf535f27731c974343645a3985328', `W/${etag}`, `${OTHER}, ${etag}`, `${OTHER},${etag}`, '*']) {
        expect(check({ 'if-match': value }), value).toBe('ok');
      }
    });

    it('fails with 412 on a different tag', () => {
      expect(check({ 'if-match': OTHER })).toBe('precondition-failed');
      expect(check({ 'if-match': `${OTHER}, "1111"` })).toBe('precondition-failed');
    });
  });

  describe('If-Unmodified-Since', () => {
    it('passes when not modified after the date (second precision)', () => {
      expect(check({ 'if-unmodified-since': SAME_SECOND })).toBe('ok');
      expect(check({ 'if-unmodified-since': AFTER })).toBe('ok');
    });

    it('fails with 412 when modified after the date', () => {
      expect(check({ 'if-unmodified-since': BEFORE })).toBe('precondition-failed');
    });

    it('is ignored when unparsable', () => {
      expect(check({ 'if-unmodified-since': 'yesterday' })).toBe('ok');
    });
  });

  describe('If-None-Match', () => {
    it('is 304 when a tag matches, or *', () => {
      for (const value of [etag, '9b2cf535f27731c974343645a3985328', `W/${etag}`, `${OTHER}, ${etag}`, '*']) {
        expect(check({ 'if-none-match': value }), value).toBe('not-modified');
      }
    });

    it('passes when no tag matches', () => {
      expect(check({ 'if-none-match': OTHER })).toBe('ok');
    });
  });

  describe('If-Modified-Since', () => {
    it('is 304 when not modified after the date (second precision)', () => {
      expect(check({ 'if-modified-since': SAME_SECOND })).toBe('not-modified');
      expect(check({ 'if-modified-since': AFTER })).toBe('not-modified');
    });

    it('passes when modified after the date', () => {
      expect(check({ 'if-modified-since': BEFORE })).toBe('ok');
    });

    it('is ignored when unparsable', () => {
      expect(check({ 'if-modified-since': 'not a date' })).toBe('ok');
    });

    it('accepts the obsolete RFC 850 date format', () => {
      expect(check({ 'if-modified-since': 'Wednesday, 01-May-24 12:00:00 GMT' })).toBe('not-modified');
    });
  });

  describe('combinations', () => {
    it('S3: If-Match true + If-Unmodified-Since false → 200', () => {
      expect(check({ 'if-match': etag, 'if-unmodified-since': BEFORE })).toBe('ok');
    });

    it('If-Match false wins over If-Unmodified-Since true', () => {
      expect(check({ 'if-match': OTHER, 'if-unmodified-since': AFTER })).toBe('precondition-failed');
    });

    it('S3: If-None-Match false + If-Modified-Since true → 304', () => {
      expect(check({ 'if-none-match': etag, 'if-modified-since': BEFORE })).toBe('not-modified');
    });

    it('If-None-Match true + If-Modified-Since false → 200 (If-Modified-Since not evaluated)', () => {
      expect(check({ 'if-none-match': OTHER, 'if-modified-since': AFTER })).toBe('ok');
    });

    it('412 conditions are evaluated before 304 conditions', () => {
      expect(check({ 'if-match': OTHER, 'if-none-match': etag })).toBe('precondition-failed');
      expect(check({ 'if-unmodified-since': BEFORE, 'if-modified-since': AFTER })).toBe('precondition-failed');
    });

    it('If-Match true then If-None-Match true → 304', () => {
      expect(check({ 'if-match': etag, 'if-none-match': etag })).toBe('not-modified');
    });

    it('all four satisfied → ok', () => {
      expect(
        check({ 'if-match': etag, 'if-unmodified-since': AFTER, 'if-none-match': OTHER, 'if-modified-since': BEFORE }),
      ).toBe('ok');
    });
  });

  it('treats empty header values as absent', () => {
    expect(check({ 'if-match': '', 'if-none-match': ' ' })).toBe('ok');
  });
});
