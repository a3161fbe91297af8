// The digests S3 stores with an object (ETag MD5, x-amz-checksum-*), to check exported plaintext
// against what the service recorded when it was written.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32c } from '@aws-crypto/crc32c';

/** A hasher with update(bytes) and digest() → Buffer, as S3 encodes each (CRCs big-endian). */
export function createHasher(algorithm) {
  switch (algorithm) {
    case 'MD5':
    case 'SHA1':
    case 'SHA256': {
      const h = createHash(algorithm.toLowerCase());
      return { update: (b) => h.update(b), digest: () => h.digest() };
    }
    case 'CRC32': {
      let value = 0;
      return { update: (b) => (value = crc32(b, value)), digest: () => u32(value) };
    }
    case 'CRC32C': {
      const c = new Crc32c();
      return { update: (b) => c.update(b), digest: () => u32(c.digest()) };
    }
    case 'CRC64NVME':
      return crc64nvme();
    default:
      throw new Error(`unknown checksum algorithm ${algorithm}`);
  }
}

const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

// CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, initial value and final xor all ones. The
// 64-bit state is kept as two 32-bit halves (BigInt per byte would be far too slow for large objects).
const POLY_HI = 0x9a6c9329;
const POLY_LO = 0xac4bc9b5;
const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let hi = 0;
  let lo = i;
  for (let j = 0; j < 8; j++) {
    const lsb = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi >>>= 1;
    if (lsb) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  TABLE_HI[i] = hi;
  TABLE_LO[i] = lo;
}

function crc64nvme() {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  return {
    update(bytes) {
      for (let i = 0; i < bytes.length; i++) {
        const t = (lo ^ bytes[i]) & 0xff;
        lo = (((lo >>> 8) | (hi << 24)) ^ TABLE_LO[t]) >>> 0;
        hi = ((hi >>> 8) ^ TABLE_HI[t]) >>> 0;
      }
    },
    digest() {
      const b = Buffer.alloc(8);
      b.writeUInt32BE(~hi >>> 0, 0);
      b.writeUInt32BE(~lo >>> 0, 4);
      return b;
    },
  };
}
