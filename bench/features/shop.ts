/**
 * Seeded generator of a shop: customers, items, purchases, with a planted signal that lives ONLY in a
 * windowed aggregate (see README.md "Planted truth"). Pure (no Node APIs): browser.ts bundles it too.
 *
 * Gives the texts of customers_train.csv, customers_test.csv (the target tables: an 80/20 split of the
 * customers), purchases.csv and items.csv. With --leak, purchases after each customer's cutoff carry the label
 * (a burst of "renewal" purchases for the positives); every other row is the same as without --leak.
 */

/** mulberry32: a small seeded PRNG (same sequence everywhere). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);
/** Cutoffs fall in [START + 120 d, START + 180 d); history starts at START; data runs to 30 days after the cutoff. */
const CUTOFF_FROM = 120;
const CUTOFF_SPAN = 60;
const AFTER = 30;
/** The planted truth: P(label = 1) = sigmoid((n14 - CENTER) / SCALE), n14 = purchases in [cutoff − 14 d, cutoff). */
export const CENTER = 4.5;
export const SCALE = 1.2;

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

function poisson(r: () => number, lambda: number): number {
  // Knuth for small λ, normal approximation above 30 (deterministic either way)
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(r)));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r();
  } while (p > l);
  return k - 1;
}

function normal(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

export interface GenOptions {
  readonly customers: number;
  readonly purchases: number;
  readonly seed: number;
  readonly leak: boolean;
}

export interface Generated {
  readonly files: Record<string, string>;
  readonly purchaseRows: number;
  readonly positives: number;
}

export function generate(o: GenOptions): Generated {
  const r = rng(o.seed);
  const leakR = rng(o.seed ^ 0x5eed);
  const nItems = 200;
  const categories = ['books', 'games', 'music', 'garden', 'kitchen', 'toys', 'sports', 'office'];
  const items: string[] = ['item_id,category,price'];
  for (let i = 0; i < nItems; i++) {
    items.push(
      `I${i},${categories[Math.floor(r() * categories.length)]},${(Math.round(Math.exp(2 + r() * 2) * 100) / 100).toFixed(2)}`,
    );
  }
  // base daily rate so that the expected number of rows is `purchases`: mean history ≈ 150 days + 30 after
  const meanDays = CUTOFF_FROM + CUTOFF_SPAN / 2 + AFTER;
  const baseRate = o.purchases / o.customers / meanDays;
  const regions = ['north', 'south', 'east', 'west'];
  const train: string[] = ['customer_id,region,signup,cutoff,label'];
  const test: string[] = ['customer_id,region,signup,cutoff,label'];
  const purchases: string[] = ['purchase_id,customer_id,item_id,ts,amount'];
  let pid = 0;
  let positives = 0;
  const add = (cust: number, t: number, rr: () => number): void => {
    const item = Math.floor(rr() * nItems);
    const amount = (Math.round((5 + rr() * 95) * 100) / 100).toFixed(2);
    purchases.push(`P${pid++},C${cust},I${item},${iso(t)},${amount}`);
  };
  for (let c = 0; c < o.customers; c++) {
    const cutoff = START + (CUTOFF_FROM + Math.floor(r() * CUTOFF_SPAN)) * DAY;
    const signup = START - Math.floor(r() * 700) * DAY;
    const rate = baseRate * Math.exp(0.5 * normal(r) - 0.125);
    // the recent 14 days have their own, independent activity level
    const recentRate = baseRate * Math.exp(0.8 * normal(r) - 0.32);
    const afterRate = baseRate * Math.exp(0.5 * normal(r) - 0.125);
    const segments: [number, number, number][] = [
      [START, cutoff - 14 * DAY, rate],
      [cutoff - 14 * DAY, cutoff, recentRate],
      [cutoff, cutoff + AFTER * DAY, afterRate],
    ];
    let n14 = 0;
    for (const [from, to, lam] of segments) {
      const n = poisson(r, (lam * (to - from)) / DAY);
      const times: number[] = [];
      for (let k = 0; k < n; k++) times.push(from + Math.floor(r() * ((to - from) / 1000)) * 1000);
      times.sort((a, b) => a - b);
      for (const t of times) add(c, t, r);
      if (from === cutoff - 14 * DAY) n14 = n;
    }
    const p = 1 / (1 + Math.exp(-(n14 - CENTER) / SCALE));
    const label = r() < p ? 'yes' : 'no';
    if (label === 'yes') positives++;
    if (o.leak && label === 'yes') {
      // the leak: right after the cutoff, positives renew (rows that only exist because of the label)
      const n = 3 + Math.floor(leakR() * 5);
      for (let k = 0; k < n; k++) add(c, cutoff + Math.floor(leakR() * 7 * 86_400) * 1000, leakR);
    }
    const region = regions[Math.floor(r() * regions.length)];
    const row = `C${c},${region},${iso(signup).slice(0, 10)},${iso(cutoff).slice(0, 10)},${label}`;
    (r() < 0.8 ? train : test).push(row);
  }
  return {
    files: {
      'customers_train.csv': train.join('\n') + '\n',
      'customers_test.csv': test.join('\n') + '\n',
      'purchases.csv': purchases.join('\n') + '\n',
      'items.csv': items.join('\n') + '\n',
    },
    purchaseRows: pid,
    positives,
  };
}
