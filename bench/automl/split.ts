/**
 * The fixed TUNE / CHECK halves of the benchmark datasets (issue 17's method: tune and choose on part
 * of ../shared/datasets, check on the rest, never per dataset).
 *
 * The names in datasets.json, sorted, are shuffled by a seeded Fisher–Yates (createRng(SPLIT_SEED));
 * the first ⌈n/2⌉ are TUNE, the rest CHECK. Defaults and search settings may be changed only from
 * TUNE results; CHECK results are reported, not tuned on. With the 21 datasets of 2026-12-03
 * (`npx tsx bench/automl/split.ts` prints it):
 *
 *   TUNE  (11): alzheimers, ames, auto_mpg, diabetes, diamonds, german_credit, income_survey, letter,
 *               penguins, pima_diabetes, stackoverflow
 *   CHECK (10): breast_cancer, caravan, chicago_ridership, digits, dna, glass, movielens, soybean,
 *               telco_churn, wine
 *
 * A dataset added later gets a side by the same rule only if the list is re-drawn, which changes the
 * halves: do not re-draw — `splitOf` puts a name that is not in FROZEN on the CHECK side.
 */
import { createRng } from '../../src/core/util/random.ts';

export const SPLIT_SEED = 17;

/** Sides drawn once by `draw` from the 21 names of 2026-12-03; later datasets are CHECK. */
export const FROZEN: Readonly<Record<string, 'TUNE' | 'CHECK'>> = Object.freeze({
  ...Object.fromEntries(
    [
      'alzheimers',
      'ames',
      'auto_mpg',
      'diabetes',
      'diamonds',
      'german_credit',
      'income_survey',
      'letter',
      'penguins',
      'pima_diabetes',
      'stackoverflow',
    ].map((n) => [n, 'TUNE' as const]),
  ),
  ...Object.fromEntries(
    [
      'breast_cancer',
      'caravan',
      'chicago_ridership',
      'digits',
      'dna',
      'glass',
      'movielens',
      'soybean',
      'telco_churn',
      'wine',
    ].map((n) => [n, 'CHECK' as const]),
  ),
});

export function draw(names: readonly string[], seed = SPLIT_SEED): Record<string, 'TUNE' | 'CHECK'> {
  const a = [...names].sort();
  const rng = createRng(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  const nTune = Math.ceil(a.length / 2);
  return Object.fromEntries(a.map((n, i) => [n, i < nTune ? 'TUNE' : 'CHECK']));
}

export function splitOf(name: string): 'TUNE' | 'CHECK' {
  return FROZEN[name] ?? 'CHECK';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import('node:fs');
  const { resolve } = await import('node:path');
  const ds = process.env.DATASETS_DIR ?? resolve(import.meta.dirname, '..', '..', '..', 'shared', 'datasets');
  const names = (JSON.parse(readFileSync(resolve(ds, 'datasets.json'), 'utf8')) as { name: string }[]).map(
    (d) => d.name,
  );
  const sides = draw(names);
  for (const side of ['TUNE', 'CHECK'] as const) {
    const list = names.filter((n) => sides[n] === side).sort();
    console.log(`${side} (${list.length}): ${list.join(', ')}`);
  }
}
