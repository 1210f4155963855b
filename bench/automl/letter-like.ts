/**
 * A letter-sized synthetic classification table (issue 17's throughput goal): `rows` rows of `cols`
 * integer features in 0..15 (as the UCI letter set's) and a categorical target of `classes` classes.
 * Each class has a seeded prototype per feature in 4..11; a row is its class's prototype plus seeded
 * noise (uniform ±5, clipped to 0..15), so classes overlap (as letter's do) and a search has
 * something to learn rather than a separable set that every model solves in a few rounds. Default:
 * 20,000 rows × 16 columns, 26 classes. Deterministic given the seed.
 */
import type { Table } from '../../src/core/data/table.ts';
import { createRng } from '../../src/core/util/random.ts';

export interface LetterLikeOptions {
  readonly rows?: number;
  readonly cols?: number;
  readonly classes?: number;
  readonly seed?: number;
}

export function letterLikeTable(opts: LetterLikeOptions = {}): Table {
  const rows = opts.rows ?? 20_000;
  const cols = opts.cols ?? 16;
  const classes = opts.classes ?? 26;
  if (!(rows >= classes && cols >= 1 && classes >= 2)) throw new Error('letterLikeTable: bad shape');
  const rng = createRng(opts.seed ?? 17);
  const proto = Array.from({ length: classes }, () => Array.from({ length: cols }, () => 4 + rng.int(8)));
  const codes = new Int32Array(rows);
  const features = Array.from({ length: cols }, () => new Float64Array(rows));
  for (let i = 0; i < rows; i++) {
    const c = i < classes ? i : rng.int(classes); // every class present
    codes[i] = c;
    for (let j = 0; j < cols; j++) {
      const v = proto[c][j] + rng.int(11) - 5;
      features[j][i] = Math.max(0, Math.min(15, v));
    }
  }
  const dictionary = Array.from(
    { length: classes },
    (_, k) => String.fromCharCode(65 + (k % 26)) + (k >= 26 ? k : ''),
  );
  return {
    nRows: rows,
    columns: [
      { name: 'letter', type: 'categorical', storage: 'dict', codes, dictionary },
      ...features.map((values, j) => ({
        name: `f${j}`,
        type: 'integer' as const,
        storage: 'float64' as const,
        values,
      })),
    ],
  };
}
