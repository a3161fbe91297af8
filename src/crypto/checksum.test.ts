import { describe, expect, it } from 'vitest';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, createHasher, fromBase64, toBase64, toHex } from './checksum';

const ascii = (s: string) => new TextEncoder().encode(s);
const digest64 = (algorithm: ChecksumAlgorithm | 'MD5', ...chunks: Uint8Array[]) => {
  const hasher = createHasher(algorithm);
  for (const chunk of chunks) hasher.update(chunk);
  return toBase64(hasher.digest());
};

// Base64 as S3 sends it in x-amz-checksum-* / Content-MD5 headers.
const VECTORS: Record<ChecksumAlgorithm | 'MD5', Record<string, string>> = {
  CRC32: { '': 'AAAAAA==', 'Hello world': 'i9aeUg==', '123456789': 'y/Q5Jg==' },
  CRC32C: { '': 'AAAAAA==', 'Hello world': 'crUfeA==', '123456789': '4waSgw==' },
  CRC64NVME: { '': 'AAAAAAAAAAA=', 'Hello world': 'OOJZ0D8xKts=', '123456789': 'rosUhgp5mIg=' },
  SHA1: {
    '': '2jmj7l5rSw0yVb/vlWAYkK/YBwk=',
    'Hello world': 'e1AsOh9IyGCa4hLN+2Od7jlnP14=',
    '123456789': '98O8HYCOBHMq32eZZczDTKeuNEE=',
  },
  SHA256: {
    '': '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
    'Hello world': 'ZOyIygCyaOW6GjVnihtTFtIS9PNmskdyMlNKiuyjfzw=',
    '123456789': 'FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=',
  },
  MD5: { '': '1B2M2Y8AsgTpgAmY7PhCfg==', 'Hello world': 'PiWWCnnbxptnTNTsZ6csYg==', '123456789': 'JfnnlDI7RTiF9RgfG2JNCw==' },
};

describe('createHasher', () => {
  for (const [algorithm, vectors] of Object.entries(VECTORS)) {
    it(`${algorithm} matches known values`, () => {
      for (const [input, expected] of Object.entries(vectors)) {
        expect(digest64(algorithm as ChecksumAlgorithm, ascii(input))).toBe(expected);
      }
    });
  }

  it('covers every S3 checksum algorithm', () => {
    expect(Object.keys(VECTORS).sort()).toEqual([...CHECKSUM_ALGORITHMS, 'MD5'].sort());
  });

  it('CRC digests are 4 and 8 big-endian bytes', () => {
    const crc32 = createHasher('CRC32');
    crc32.update(ascii('123456789'));
    expect(toHex(crc32.digest())).toBe('cbf43926');
    const crc32c = createHasher('CRC32C');
    crc32c.update(ascii('123456789'));
    expect(toHex(crc32c.digest())).toBe('e3069283');
    const crc64 = createHasher('CRC64NVME');
    crc64.update(ascii('123456789'));
    expect(toHex(crc64.digest())).toBe('ae8b14860a799888');
  });

  it('incremental updates in odd-sized pieces equal one shot', () => {
    const data = new Uint8Array(10_007).map((_, i) => (i * 31 + (i >> 7)) & 0xff);
    for (const algorithm of [...CHECKSUM_ALGORITHMS, 'MD5'] as const) {
      const whole = digest64(algorithm, data);
      const pieces: Uint8Array[] = [];
      for (let i = 0, size = 1; i < data.length; i += size, size = ((size * 7 + 3) % 1013) + 1) {
        pieces.push(data.subarray(i, i + size));
      }
      pieces.splice(2, 0, new Uint8Array(0));
      expect(digest64(algorithm, ...pieces), algorithm).toBe(whole);
    }
  });
});

describe('base64 and hex', () => {
  it('round-trips bytes', () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    expect(toBase64(new Uint8Array(0))).toBe('');
    expect(fromBase64('')).toEqual(new Uint8Array(0));
  });

  it('decodes padded base64', () => {
    expect(toHex(fromBase64('i9aeUg=='))).toBe('8bd69e52');
    expect(toHex(fromBase64('OOJZ0D8xKts='))).toBe('38e259d03f312adb');
  });

  it('rejects anything but canonical padded base64', () => {
    for (const bad of ['i9aeUg', 'i9aeUg=', 'i9ae Ug==', 'i9ae-g==', '=', 'a===', '!!!!', 'i9aeUg==\n']) {
      expect(() => fromBase64(bad), JSON.stringify(bad)).toThrow(TypeError);
    }
  });

  it('hex is lowercase and zero-padded', () => {
    expect(toHex(new Uint8Array([0, 15, 16, 255]))).toBe('000f10ff');
  });
});
