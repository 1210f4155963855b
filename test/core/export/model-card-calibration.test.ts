/**
 * The model card names the calibration map stored in reference.json (issue 16): its method, the
 * rows it was fitted on, and its effect on log loss and Brier score; the "before" figures are the
 * validation metrics the manifest records (computed independently by the metrics module), and the
 * calibrated Brier score is never worse in-sample (isotonic regression minimises squared error
 * among monotone maps, the identity being one of them).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { trainModel, type TrainedModel } from '../../../src/core/train/train.ts';
import { createBundleFiles, loadBundle } from '../../../src/core/export/bundle.ts';
import { modelCard } from '../../../src/core/export/model-card.ts';
import { ingestCsv } from '../../../src/core/ingest/ingest.ts';
import { bytesSource } from '../../../src/core/ingest/index.ts';
import { fitCalibration, probabilityScores } from '../../../src/core/monitor/calibration.ts';
import { parseReference, referenceJson, type ReferenceProfile } from '../../../src/core/monitor/reference.ts';
import type { Table } from '../../../src/core/data/table.ts';
import { datasetFile } from '../../helpers/paths.ts';
import { TEST_ENV, datasetOf } from '../../helpers/bundle.ts';

const env = TEST_ENV;

async function read(name: string): Promise<Table> {
  const path = datasetFile(name);
  const { table } = await ingestCsv(bytesSource('train.csv', new Uint8Array(readFileSync(path))));
  return table;
}

interface Made {
  trained: TrainedModel;
  files: Record<string, string>;
  reference: ReferenceProfile;
  card: string;
}

async function make(
  name: string,
  target: string,
  task: 'binary' | 'multiclass',
  positiveClass?: string,
): Promise<Made> {
  const table = await read(name);
  const trained = await trainModel({
    table,
    target,
    task,
    family: 'gbdt',
    seed: 3,
    params: { rounds: 40 },
    ...(positiveClass ? { positiveClass } : {}),
  });
  const files = createBundleFiles(trained, datasetOf(table), env, { table, scorer: '//\n' });
  const bundle = loadBundle(files, { requireListedFiles: true });
  return { trained, files, reference: bundle.reference!, card: files['MODEL_CARD.md']! };
}

/** The numbers of one row of the card's calibration table. */
function row(card: string, label: string): [number, number] {
  const line = card.split('\n').find((l) => l.startsWith(`| ${label} |`));
  expect(line, `the card has a "${label}" row`).toBeDefined();
  const [, before, after] = line!
    .split('|')
    .map((c) => c.trim())
    .filter(Boolean);
  return [Number(before), Number(after)];
}

let binary: Made;
let multi: Made;
beforeAll(async () => {
  binary = await make('german_credit', 'class', 'binary', 'bad');
  multi = await make('penguins', 'species', 'multiclass');
}, 180_000);

describe('the model card names the calibration map', () => {
  it('binary: method, the rows it was fitted on, log loss and Brier before/after', () => {
    const { card, reference, trained, files } = binary;
    const cal = reference.calibration!;
    expect(cal.method).toBe('isotonic');
    expect(cal.rows).toBe(trained.validation.y.length);
    expect(card).toContain('## Probability calibration');
    const manifest = JSON.parse(files['manifest.json']!);
    // the map is of the probability of the second class (the column CBPE reads)
    expect(card).toContain(`isotonic regression (pool-adjacent-violators) of P(${manifest.classes[1]})`);
    const strategy = manifest.split.strategy as string;
    expect(card).toContain(
      strategy === 'kfold' ? `${cal.rows} out-of-fold predictions` : `the ${cal.rows} rows of a `,
    );
    expect(card).toContain("the model's own predictions and the metrics above are not calibrated by it");
    // "before" is the raw validation log loss the metrics module computed on the same rows
    const [llBefore, llAfter] = row(card, 'log loss');
    const validLogLoss = manifest.metrics.validation.log_loss as number;
    expect(cal.effect!.logLoss.before).toBeCloseTo(validLogLoss, 9);
    expect(llBefore).toBeCloseTo(validLogLoss, 3);
    expect(llAfter).toBeCloseTo(cal.effect!.logLoss.after, 3);
    // Brier: an independent sum over the validation rows
    const { y, pred } = trained.validation;
    const width = pred.length / y.length;
    let brier = 0;
    for (let i = 0; i < y.length; i++) brier += (pred[i * width + width - 1]! - (y[i] === 1 ? 1 : 0)) ** 2;
    expect(cal.effect!.brier.before).toBeCloseTo(brier / y.length, 12);
    const [bBefore, bAfter] = row(card, 'Brier score');
    expect(bBefore).toBeCloseTo(brier / y.length, 3);
    // in-sample, the isotonic map cannot make the squared error worse
    expect(cal.effect!.brier.after).toBeLessThanOrEqual(cal.effect!.brier.before + 1e-12);
    expect(bAfter).toBeLessThanOrEqual(bBefore);
  });

  it('multiclass: one map per class, renormalised; the effect survives reference.json', () => {
    const { card, reference, files } = multi;
    const cal = reference.calibration!;
    expect(cal.maps).toHaveLength(3);
    expect(card).toContain('one per class (one-vs-rest), each row renormalised to sum to 1');
    const manifest = JSON.parse(files['manifest.json']!);
    expect(cal.effect!.logLoss.before).toBeCloseTo(manifest.metrics.validation.log_loss as number, 9);
    expect(parseReference(referenceJson(reference)).calibration!.effect).toEqual(cal.effect);
  });

  it('no section without a map; a "none" calibration says the probabilities are used as they are', () => {
    const manifest = JSON.parse(binary.files['manifest.json']!);
    expect(modelCard(manifest)).not.toContain('## Probability calibration');
    const none = fitCalibration('binary', Float64Array.of(1, 1, 1), Float64Array.of(0.9, 0.8, 0.7), 2);
    expect(none.method).toBe('none');
    expect(none.effect).toBeUndefined();
    const card = modelCard(manifest, { calibration: none });
    expect(card).toContain('No calibration map was fitted');
    expect(card).toContain('reads the model');
    expect(card).not.toContain('| log loss |');
  });

  it('the in-sample Brier score never gets worse under the fitted map (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean()), {
          minLength: 120,
          maxLength: 300,
        }),
        (rows) => {
          const y = Float64Array.from(rows, ([, t]) => (t ? 1 : 0));
          const p = Float64Array.from(rows, ([v]) => v);
          const cal = fitCalibration('binary', y, p, 2);
          if (!cal.effect) return;
          const keep = Array.from({ length: y.length }, (_, i) => i);
          expect(cal.effect.brier.before).toBeCloseTo(probabilityScores(y, p, keep, 1, 2).brier, 12);
          if (cal.method === 'isotonic')
            expect(cal.effect.brier.after).toBeLessThanOrEqual(cal.effect.brier.before + 1e-12);
        },
      ),
      { numRuns: 60 },
    );
  });
});
