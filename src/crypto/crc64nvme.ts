// CRC-64/NVME (reflected poly 0x9a6c9329ac4bc9b5, init and xorout all ones), the CRC64NVME checksum of S3.
// The 64-bit register is kept as two uint32 halves so no BigInt is needed; slicing-by-8 tables make it fast.

const POLY_HI = 0x9a6c9329;
const POLY_LO = 0xac4bc9b5;

// TABLE_LO/HI[k * 256 + b]: the CRC register after byte b followed by k zero bytes.
const TABLE_LO = new Uint32Array(8 * 256);
const TABLE_HI = new Uint32Array(8 * 256);

for (let b = 0; b < 256; b++) {
  let lo = b;
  let hi = 0;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = (lo >>> 1) | ((hi & 1) << 31);
    hi >>>= 1;
    if (carry) {
      lo ^= POLY_LO;
      hi ^= POLY_HI;
    }
  }
  TABLE_LO[b] = lo;
  TABLE_HI[b] = hi;
}
for (let i = 256; i < 8 * 256; i++) {
  const lo = TABLE_LO[i - 256]!;
  const hi = TABLE_HI[i - 256]!;
  TABLE_LO[i] = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[lo & 0xff]!;
  TABLE_HI[i] = (hi >>> 8) ^ TABLE_HI[lo & 0xff]!;
}

export class Crc64Nvme {
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(data: Uint8Array): void {
    const tlo = TABLE_LO;
    const thi = TABLE_HI;
    let lo = this.lo;
    let hi = this.hi;
    let i = 0;
    for (const fullEnd = data.length - 7; i < fullEnd; i += 8) {
      // XOR the next 8 bytes (little-endian) into the register, then look up each byte's contribution.
      const a = lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
      const b = hi ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24));
      const i7 = 7 * 256 + (a & 0xff);
      const i6 = 6 * 256 + ((a >>> 8) & 0xff);
      const i5 = 5 * 256 + ((a >>> 16) & 0xff);
      const i4 = 4 * 256 + (a >>> 24);
      const i3 = 3 * 256 + (b & 0xff);
      const i2 = 2 * 256 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      lo = tlo[i7]! ^ tlo[i6]! ^ tlo[i5]! ^ tlo[i4]! ^ tlo[i3]! ^ tlo[i2]! ^ tlo[i1]! ^ tlo[i0]!;
      hi = thi[i7]! ^ thi[i6]! ^ thi[i5]! ^ thi[i4]! ^ thi[i3]! ^ thi[i2]! ^ thi[i1]! ^ thi[i0]!;
    }
    for (; i < data.length; i++) {
      const index = (lo ^ data[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ tlo[index]!;
      hi = (hi >>> 8) ^ thi[index]!;
    }
    this.lo = lo;
    this.hi = hi;
  }

  /** The 8-byte big-endian CRC, as S3 encodes it. */
  digest(): Uint8Array {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, ~this.hi >>> 0);
    view.setUint32(4, ~this.lo >>> 0);
    return out;
  }
}
