/**
 * Dynamic batching of the scoring server (src/core/serve/batch.ts): frames scored together answer
 * exactly what each would alone — the same numbers, labels, warnings and errors — whatever mix of
 * clean rows, unreadable cells, wrong JSON types and extra columns arrives in one turn.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { cli } from '../../helpers/cli.ts';
import { loadBundle } from '../../../src/core/export/bundle.ts';
import { loadVerifiedBundleArg } from '../../../src/cli/bundle-io.ts';
import { ServingModel, type ServingOptions } from '../../../src/core/serve/model.ts';
import { FrameBatcher } from '../../../src/core/serve/batch.ts';
import type { Cell, Frame } from '../../../src/core/serve/frame.ts';
import { tmp } from '../../cli/serve-helpers.ts';

function fixtureBundle(name: string) {
  const dir = join(REPO_ROOT, 'test/fixtures/bundle', name);
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) files[f] = readFileSync(join(dir, f), 'utf8');
  return loadBundle(files);
}

/** A schedule the test runs by hand: every frame of a turn is queued before the flush. */
function manualSchedule() {
  const pending: (() => void)[] = [];
  return {
    schedule: (run: () => void) => void pending.push(run),
    run: () => {
      for (const f of pending.splice(0)) f();
    },
  };
}

type Outcome =
  | { ok: true; values: number[]; labels: number[] | null; nRows: number; warnings: readonly string[] }
  | { ok: false; error: string };

async function outcome(p: Promise<Awaited<ReturnType<ServingModel['scoreFrame']>>>): Promise<Outcome> {
  try {
    const s = await p;
    return {
      ok: true,
      values: Array.from(s.predictions.values),
      labels: s.predictions.labels ? Array.from(s.predictions.labels) : null,
      nRows: s.predictions.nRows,
      warnings: s.warnings,
    };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}

/** Scores the frames queued in one turn with batching, and each alone without; both outcomes. */
async function bothWays(
  bundle: ReturnType<typeof fixtureBundle>,
  options: ServingOptions,
  frames: readonly Frame[],
): Promise<{ batched: Outcome[]; alone: Outcome[]; model: ServingModel }> {
  const clock = manualSchedule();
  const model = new ServingModel(bundle, { ...options, batching: { schedule: clock.schedule } });
  const plain = new ServingModel(bundle, options);
  const pending = frames.map((f) => outcome(model.scoreFrame(f)));
  clock.run();
  const batched = await Promise.all(pending);
  const alone: Outcome[] = [];
  for (const f of frames) alone.push(await outcome(plain.scoreFrame(f)));
  return { batched, alone, model };
}

describe('FrameBatcher', () => {
  it('answers each entry with its own result: together when it can, alone when together fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ header: fc.constantFrom('a', 'b', 'c'), rows: fc.integer({ min: 1, max: 5 }) }),
          {
            minLength: 1,
            maxLength: 25,
          },
        ),
        fc.constantFrom('ok', 'null', 'throw'),
        fc.integer({ min: 1, max: 12 }),
        async (entries, mode, maxBatchRows) => {
          const clock = manualSchedule();
          const seen: number[][] = [];
          const b = new FrameBatcher<string, number>(
            { schedule: clock.schedule, maxBatchRows },
            async (header, group) => {
              seen.push(group.map((e) => e.meta));
              expect(new Set(group.map(() => header)).size).toBe(1);
              if (mode === 'throw') throw new Error('no');
              return mode === 'null' ? null : group.map((e) => `${header}:${e.meta}`);
            },
          );
          const results = entries.map((e, i) =>
            b.add(e.header, 'x', e.rows, i, async () => `${e.header}:${i}`),
          );
          clock.run();
          expect(await Promise.all(results)).toEqual(entries.map((e, i) => `${e.header}:${i}`));
          // groups hold one header each, in arrival order, within the row cap unless a single entry
          for (const g of seen) {
            expect(new Set(g.map((i) => entries[i].header)).size).toBe(1);
            expect([...g].sort((x, y) => x - y)).toEqual(g);
            const rows = g.reduce((n, i) => n + entries[i].rows, 0);
            if (g.length > 1) expect(rows).toBeLessThanOrEqual(maxBatchRows);
          }
          const together = mode === 'ok' ? seen.reduce((n, g) => n + g.length, 0) : 0;
          expect(b.stats.frames).toBe(together);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('an entry scored alone that fails rejects only its own promise', async () => {
    const clock = manualSchedule();
    const b = new FrameBatcher<number, number>({ schedule: clock.schedule }, async () => null);
    const p = [0, 1, 2].map((i) =>
      b.add('h', 'x', 1, i, async () => {
        if (i === 1) throw new Error('bad row');
        return i;
      }),
    );
    clock.run();
    const r = await Promise.allSettled(p);
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

describe('ServingModel with batching', () => {
  const binary = fixtureBundle('v2-fit-mlp'); // species, island categorical; numeric and integer columns
  const multiclass = fixtureBundle('v1-fit-gbdt');

  // Cells for a column of each type: mostly valid, sometimes unreadable (2.5 in an integer column),
  // sometimes of the wrong JSON type (a string in a number column: a 400 before any read).
  const cellFor = (type: string): fc.Arbitrary<Cell> =>
    type === 'categorical'
      ? fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom('Adelie', 'Gentoo', 'Biscoe', 'Dream', 'MALE', 'FEMALE') },
          { weight: 1, arbitrary: fc.constant(null) },
          { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
        )
      : type === 'integer'
        ? fc.oneof(
            { weight: 8, arbitrary: fc.integer({ min: 0, max: 6000 }) },
            { weight: 1, arbitrary: fc.constant(null) },
            { weight: 1, arbitrary: fc.constant(2.5) },
            { weight: 1, arbitrary: fc.constant('many') },
          )
        : fc.oneof(
            { weight: 8, arbitrary: fc.double({ min: -1e4, max: 1e4, noNaN: true }) },
            { weight: 1, arbitrary: fc.constant(null) },
          );

  function frames(bundle: ReturnType<typeof fixtureBundle>, extra: boolean): fc.Arbitrary<Frame[]> {
    const inputs = bundle.manifest.signature.inputs;
    const row = fc.tuple(...inputs.map((c) => cellFor(c.type)));
    const frame = fc.record({
      rows: fc.array(row, { minLength: 1, maxLength: 4 }),
      extra: extra ? fc.boolean() : fc.constant(false),
    });
    return fc.array(frame, { minLength: 1, maxLength: 12 }).map((fs) =>
      fs.map(({ rows, extra: x }) => ({
        columns: [...inputs.map((c) => c.name), ...(x ? ['note'] : [])],
        rows: rows.map((r) => (x ? [...r, 'free text'] : [...r])),
        shape: 'records' as const,
      })),
    );
  }

  for (const [name, bundle] of [
    ['binary MLP', binary],
    ['multiclass GBDT', multiclass],
  ] as const)
    for (const options of [{}, { lenient: true }, { allowExtraColumns: true }] as ServingOptions[])
      it(`${name}, ${JSON.stringify(options)}: every request gets what it would alone`, async () => {
        let together = 0;
        await fc.assert(
          fc.asyncProperty(frames(bundle, options.allowExtraColumns === true), async (fs) => {
            const { batched, alone, model } = await bothWays(bundle, options, fs);
            expect(batched).toEqual(alone);
            together += model.batching!.frames;
          }),
          { numRuns: 60 },
        );
        // the property saw combined reads, not only the fallback
        expect(together).toBeGreaterThan(0);
      });

  it('clean single-row requests of one turn are scored in one read', async () => {
    const inputs = binary.manifest.signature.inputs.map((c) => c.name);
    const row = (i: number): Cell[] => ['Adelie', 'Dream', 39 + i / 10, 18.1, 190 + i, 3700 + 10 * i, 2008];
    const fs: Frame[] = Array.from({ length: 20 }, (_, i) => ({
      columns: inputs,
      rows: [row(i)],
      shape: 'records',
    }));
    const { batched, alone, model } = await bothWays(binary, {}, fs);
    expect(batched).toEqual(alone);
    expect(batched.every((o) => o.ok)).toBe(true);
    expect(model.batching).toEqual({ reads: 1, frames: 20 });
    // different rows give different answers: the cut-back is per request, not one answer for all
    expect(new Set(batched.map((o) => (o.ok ? o.values.join() : ''))).size).toBe(20);
  });

  it('frames with a date column are scored alone (a date format is inferred per read)', async () => {
    const dir = tmp();
    const csv = ['day,x,y'];
    for (let i = 0; i < 80; i++)
      csv.push(
        `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')},${i % 7},${(i * 37) % 11}`,
      );
    writeFileSync(join(dir, 'dated.csv'), csv.join('\n') + '\n');
    const out = join(dir, 'dated.zip');
    const r = await cli([
      'fit',
      join(dir, 'dated.csv'),
      '--target',
      'y',
      '--model',
      'linear',
      '--out',
      out,
      '--no-track',
    ]);
    expect(r.code, r.err).toBe(0);
    const { bundle } = await loadVerifiedBundleArg(out);
    expect(bundle.manifest.signature.inputs.some((c) => c.type === 'datetime')).toBe(true);
    const names = bundle.manifest.signature.inputs.map((c) => c.name);
    const fs: Frame[] = ['03/04/2024', '25/04/2024', '2024-05-06'].map((d, i) => ({
      columns: names,
      rows: [names.map((n) => (n === 'day' ? d : i))],
      shape: 'records',
    }));
    const { batched, alone, model } = await bothWays(bundle, { lenient: true }, fs);
    expect(batched).toEqual(alone);
    expect(model.batching).toEqual({ reads: 0, frames: 0 });
  });
});
