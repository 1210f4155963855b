/**
 * ScoringService's per-request shortcuts (issue 19's latency work) change no byte of an answer: the
 * JSON body of a 200, built from a precomputed tail, equals JSON.stringify of the whole answer object
 * (as the server wrote it before); the remembered invocation plans answer as a fresh plan would.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { loadBundle, type LoadedBundle } from '../../../src/core/export/bundle.ts';
import { loadVerifiedBundleArg } from '../../../src/cli/bundle-io.ts';
import { ServingModel, type ServingOptions } from '../../../src/core/serve/model.ts';
import {
  ScoringService,
  type InvocationPlan,
  type ServeRequestHead,
} from '../../../src/core/serve/service.ts';
import { frameFromJson, type Cell } from '../../../src/core/serve/frame.ts';
import { fitZip } from '../../cli/serve-helpers.ts';
import { datasetFile } from '../../helpers/paths.ts';

function fixtureBundle(name: string) {
  const dir = join(REPO_ROOT, 'test/fixtures/bundle', name);
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) files[f] = readFileSync(join(dir, f), 'utf8');
  return loadBundle(files);
}

function service(bundle: LoadedBundle, options: ServingOptions = {}, name = 'model "x"/ü') {
  return new ScoringService(new ServingModel(bundle, options), {
    name,
    provenance: 'unsigned',
    integrity: 'not verified',
    server: { name: 'automl-studio', version: '0.0.0' },
    maxBodyBytes: 1 << 20,
    now: () => 0,
    stats: () => ({ inFlight: 0, served: 0 }),
  });
}

/** The answer as the server built it before: one JSON.stringify of the whole object. */
async function reference(s: ScoringService, plan: InvocationPlan, body: unknown): Promise<string> {
  const { manifest } = s.model.bundle;
  const scored = await s.model.scoreFrame(frameFromJson(body));
  const p = scored.predictions;
  const n = p.nRows;
  const classes = manifest.classes;
  let predictions: unknown;
  if (manifest.task === 'regression' || !classes) predictions = Array.from(p.values.subarray(0, n));
  else if (plan.orient === 'columns')
    predictions = {
      label: Array.from(p.labels!, (l) => classes[l]),
      probabilities: Object.fromEntries(
        classes.map((c, j) => [c, Array.from({ length: n }, (_, i) => p.values[i * classes.length + j])]),
      ),
    };
  else
    predictions = Array.from({ length: n }, (_, i) => ({
      label: classes[p.labels![i]],
      probabilities: Object.fromEntries(classes.map((c, j) => [c, p.values[i * classes.length + j]])),
    }));
  const d = manifest.decision;
  const decision =
    manifest.task === 'binary' && d
      ? {
          rule: 'threshold',
          positiveClass: d.positiveClass,
          threshold: d.threshold,
          chosenFor: d.chosenFor,
          description: `${JSON.stringify(d.positiveClass)} when its probability is at least ${d.threshold}`,
        }
      : { rule: 'argmax', description: 'the class with the highest probability' };
  return (
    JSON.stringify({
      predictions,
      rows: n,
      task: manifest.task,
      ...(classes ? { classes } : {}),
      ...(manifest.task !== 'regression' ? { decision } : {}),
      model: { name: s.info.name, version: s.version },
      ...(scored.warnings.length ? { warnings: scored.warnings } : {}),
    }) + '\n'
  );
}

const head = (accept?: string, url = '/invocations'): ServeRequestHead => ({
  method: 'POST',
  url,
  headers: { 'content-type': 'application/json', accept },
});

describe('ScoringService answers', () => {
  const cases: [string, () => Promise<LoadedBundle>][] = [
    ['binary MLP', async () => fixtureBundle('v2-fit-mlp')],
    ['multiclass GBDT', async () => fixtureBundle('v1-fit-gbdt')],
    [
      'regression GBDT',
      async () =>
        (
          await loadVerifiedBundleArg(
            await fitZip(datasetFile('diabetes'), 'target', ['--params', '{"rounds": 5}']),
          )
        ).bundle,
    ],
  ];
  for (const [name, load] of cases)
    it(`${name}: every 200 is byte for byte JSON.stringify of the answer (orients, warnings)`, async () => {
      const bundle = await load();
      const inputs = bundle.manifest.signature.inputs;
      const cell = (type: string): fc.Arbitrary<Cell> =>
        type === 'categorical'
          ? fc.oneof(
              fc.constantFrom('Adelie', 'Gentoo', 'Biscoe', 'Dream', 'MALE', 'FEMALE'),
              fc.constant(null),
            )
          : type === 'integer'
            ? fc.oneof(fc.integer({ min: 0, max: 6000 }), fc.constant(null))
            : fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(null));
      for (const options of [{}, { allowExtraColumns: true }] as ServingOptions[]) {
        const s = service(bundle, options);
        await fc.assert(
          fc.asyncProperty(
            fc.array(fc.tuple(...inputs.map((c) => cell(c.type))), { minLength: 1, maxLength: 5 }),
            fc.constantFrom('records', 'columns'),
            fc.boolean(),
            async (rows, orient, extra) => {
              const x = extra && options.allowExtraColumns === true;
              const body = {
                dataframe_split: {
                  columns: [...inputs.map((c) => c.name), ...(x ? ['a "note"'] : [])],
                  data: rows.map((r) => (x ? [...r, 'free'] : [...r])),
                },
              };
              const begin = s.begin(head(undefined, `/invocations?orient=${orient}`));
              expect(begin.kind).toBe('read-body');
              if (begin.kind !== 'read-body') return;
              const r = await s.invoke(begin.plan, new TextEncoder().encode(JSON.stringify(body)));
              expect(r.status).toBe(200);
              expect(r.body).toBe(await reference(s, begin.plan, body));
              if (x) expect(r.body).toContain('"warnings":["ignored 1 column(s)');
              expect(r.headers).toEqual({
                'content-type': 'application/json; charset=utf-8',
                'x-model-name': encodeURIComponent('model "x"/ü'),
                'x-model-version': s.version,
              });
            },
          ),
          { numRuns: 25 },
        );
      }
    }, 120_000);

  it('a remembered plan is the plan a fresh service makes; refusals are never remembered', () => {
    const bundle = fixtureBundle('v1-fit-gbdt');
    const s = service(bundle);
    const heads: ServeRequestHead[] = [
      head(),
      head('text/csv'),
      head('application/json;q=0.5, text/csv'),
      head(undefined, '/invocations?orient=columns'),
      { method: 'POST', url: '/invocations', headers: { 'content-type': 'text/csv; charset=latin1' } },
      {
        method: 'POST',
        url: '/invocations',
        headers: { 'content-type': 'application/json; format=pandas-split' },
      },
      head('image/png'),
      head(undefined, '/invocations?orient=rows'),
      { method: 'POST', url: '/invocations', headers: { 'content-type': 'text/plain' } },
      { method: 'POST', url: '/invocations', headers: {} },
      { method: 'POST', url: '/ping', headers: { 'content-type': 'application/json' } },
    ];
    for (let round = 0; round < 3; round++)
      for (const h of heads) expect(s.begin(h)).toEqual(service(bundle).begin(h));
    // the same head twice: the very same plan object (what the cache saves: parsing the headers again)
    expect(s.begin(head('text/csv'))).toBe(s.begin(head('text/csv')));
    const refused = s.begin(head('image/png'));
    expect(refused.kind).toBe('respond');
    expect(s.begin(head('image/png'))).not.toBe(refused);
  });
});
