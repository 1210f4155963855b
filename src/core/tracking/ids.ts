/**
 * Time-ordered ids (ULID layout: 48-bit ms timestamp + 80 random bits, Crockford base32, 26 chars).
 * Within one millisecond the random part is incremented, so ids from one generator sort in creation
 * order. Clock and randomness are injectable for reproducible tests.
 */
import type { Rng } from '../util/random.ts';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export type IdGenerator = () => string;

export interface IdGeneratorOptions {
  /** Epoch ms; default Date.now. */
  readonly now?: () => number;
  /** Seeded randomness; default crypto.getRandomValues (or Math.random if crypto is missing). */
  readonly rng?: Rng;
}

function randomU32Source(rng: Rng | undefined): () => number {
  if (rng) return () => rng.u32();
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (c?.getRandomValues) {
    const buf = new Uint32Array(1);
    return () => {
      c.getRandomValues(buf);
      return buf[0];
    };
  }
  return () => Math.floor(Math.random() * 4294967296) >>> 0;
}

export function createIdGenerator(options: IdGeneratorOptions = {}): IdGenerator {
  const now = options.now ?? Date.now;
  const u32 = randomU32Source(options.rng);
  let lastTime = -1;
  // 80 random bits as 16 base32 digits (5 bits each).
  let rand: number[] = [];
  return () => {
    let t = Math.floor(now());
    if (!Number.isFinite(t) || t < 0 || t > 2 ** 48 - 1) throw new Error(`id clock returned ${t}`);
    if (t <= lastTime) {
      t = lastTime; // clock went back or same ms: keep order by incrementing the random part
      let i = 15;
      while (i >= 0 && rand[i] === 31) rand[i--] = 0;
      if (i < 0) throw new Error('id generator overflow within one millisecond');
      rand[i]++;
    } else {
      rand = [];
      for (let i = 0; i < 16; i++) rand.push(u32() & 31);
      lastTime = t;
    }
    let timePart = '';
    let tt = t;
    for (let i = 0; i < 10; i++) {
      timePart = ALPHABET[tt % 32] + timePart;
      tt = Math.floor(tt / 32);
    }
    return timePart + rand.map((d) => ALPHABET[d]).join('');
  };
}

/** The millisecond timestamp encoded in an id from `createIdGenerator`. */
export function idTime(id: string): number {
  if (!ID_PATTERN.test(id)) throw new Error(`not a time-ordered id: ${JSON.stringify(id)}`);
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + ALPHABET.indexOf(id[i]);
  return t;
}
