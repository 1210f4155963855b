/**
 * The scoring server's body parsers, by property: the JSON syntax locator agrees with JSON.parse on
 * valid, mutated and random texts; the JSON shapes of one table give one frame; a frame written as CSV
 * reads back (with the model's types, as `predict` reads) to the same cells; media types parse.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.ts';
import {
  frameFromJson,
  jsonSyntaxProblem,
  negotiate,
  parseJsonBody,
  parseMediaType,
  ServeError,
  ServingModel,
  type Cell,
} from '../../../src/core/serve/index.ts';
import { loadBundle } from '../../../src/core/export/bundle.ts';
import { ingestCsv, bytesSource, DEFAULT_NA_TOKENS } from '../../../src/core/ingest/index.ts';
import { signatureTypes } from '../../../src/core/export/bundle.ts';
import { cellText } from '../../../src/core/data/table.ts';

const parses = (s: string) => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

/** A JSON text with one edit at a JSON-significant spot: validity must be judged as JSON.parse does. */
const mutated = fc
  .tuple(
    fc.json({ maxDepth: 3 }),
    fc.nat(),
    fc.constantFrom('insert', 'delete', 'replace'),
    fc.constantFrom(...'{}[]:,"\\ \n0-.eE+tfnNIa\'\u0001'.split('')),
  )
  .map(([text, at, op, ch]) => {
    const i = text.length ? at % (text.length + 1) : 0;
    if (op === 'insert') return text.slice(0, i) + ch + text.slice(i);
    if (op === 'delete') return text.slice(0, i) + text.slice(i + 1);
    return text.slice(0, i) + ch + text.slice(i + 1);
  });

describe('jsonSyntaxProblem', () => {
  it('agrees with JSON.parse on valid, mutated and random texts, and points inside the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.json({ maxDepth: 4 }), mutated, fc.string(), fc.string({ unit: 'binary' })),
        (s) => {
          const p = jsonSyntaxProblem(s);
          expect(p === null).toBe(parses(s));
          if (p) {
            expect(p.offset).toBeGreaterThanOrEqual(0);
            expect(p.offset).toBeLessThanOrEqual(s.length);
            const before = s.slice(0, p.offset);
            expect(p.line).toBe(before.split('\n').length);
            expect(p.column).toBe(p.offset - (before.lastIndexOf('\n') + 1) + 1);
            expect(p.reason.length).toBeGreaterThan(5);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('says what is wrong for the usual mistakes', () => {
    expect(jsonSyntaxProblem('{"a": NaN}')?.reason).toContain('NaN is not JSON');
    expect(jsonSyntaxProblem('[1, -Infinity]')).toMatchObject({
      column: 5,
      reason: expect.stringContaining('-Infinity'),
    });
    expect(jsonSyntaxProblem("{'a': 1}")?.reason).toContain('double quotes');
    expect(jsonSyntaxProblem('[1,]')?.reason).toContain('trailing comma');
    expect(jsonSyntaxProblem('{"a": True}')?.reason).toContain('true and false');
    expect(jsonSyntaxProblem('[01]')?.reason).toContain('leading zeros');
    expect(jsonSyntaxProblem('{"a" 1}')?.reason).toContain("expected ':'");
    expect(jsonSyntaxProblem('[1] [2]')?.reason).toContain('after the end');
    expect(jsonSyntaxProblem('"a\nb"')?.reason).toContain('control character');
    // Deep nesting does not overflow the stack.
    expect(jsonSyntaxProblem('['.repeat(200_000))?.reason).toContain('unclosed list');
  });

  it('parseJsonBody fails only with a 400 ServeError', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string()), (s) => {
        try {
          parseJsonBody(s);
        } catch (err) {
          expect(err).toBeInstanceOf(ServeError);
          expect((err as ServeError).status).toBe(400);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

const cellArb: fc.Arbitrary<Cell> = fc.oneof(
  fc.string({ maxLength: 8 }),
  // JSON.stringify writes −0 as 0, so a body that went through JSON text never holds a −0
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
  fc.boolean(),
  fc.constant(null),
);
/** A table: unique column names and rows of cells. */
const tableArb = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 })
  .chain((columns) =>
    fc.record({
      columns: fc.constant(columns),
      rows: fc.array(fc.array(cellArb, { minLength: columns.length, maxLength: columns.length }), {
        maxLength: 6,
      }),
    }),
  );

describe('frameFromJson', () => {
  it('dataframe_split, dataframe_records, inputs (both forms), instances and a bare list give one frame', () => {
    fc.assert(
      fc.property(tableArb, ({ columns, rows }) => {
        const records = rows.map((r) => Object.fromEntries(columns.map((c, j) => [c, r[j]])));
        const split = frameFromJson(JSON.parse(JSON.stringify({ dataframe_split: { columns, data: rows } })));
        expect(split.columns).toEqual(columns);
        expect(split.rows).toEqual(rows);
        const columnar = frameFromJson({
          inputs: Object.fromEntries(columns.map((c, j) => [c, rows.map((r) => r[j])])),
        });
        // Objects: the same cells by column name (an object lists integer-like keys first).
        const byName = (f: { columns: readonly string[]; rows: readonly (readonly Cell[])[] }) =>
          f.rows.map((r) => Object.fromEntries(f.columns.map((c, j) => [c, r[j]])));
        expect(columnar.rows).toHaveLength(rows.length);
        expect(byName(columnar)).toEqual(byName(split));
        for (const body of [
          { dataframe_records: records },
          { inputs: records },
          { instances: records },
          records,
        ]) {
          const f = frameFromJson(body);
          expect(f.rows).toHaveLength(rows.length);
          if (rows.length) expect([...f.columns].sort()).toEqual([...columns].sort());
          expect(byName(f)).toEqual(byName(split));
        }
      }),
    );
  });

  it('a key a record lacks is a missing value there', () => {
    const f = frameFromJson({ dataframe_records: [{ a: 1 }, { b: 'x' }] });
    expect(f.columns).toEqual(['a', 'b']);
    expect(f.rows).toEqual([
      [1, null],
      [null, 'x'],
    ]);
  });

  it('any JSON value either is a frame or a 400 ServeError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }),
          fc.record({ dataframe_records: fc.jsonValue({ maxDepth: 3 }) }),
          fc.record({ dataframe_split: fc.jsonValue({ maxDepth: 3 }) }),
          fc.record({ inputs: fc.jsonValue({ maxDepth: 3 }) }),
        ),
        (v) => {
          try {
            const f = frameFromJson(v);
            for (const r of f.rows) {
              expect(r).toHaveLength(f.columns.length);
              for (const c of r)
                expect(c === null || ['string', 'number', 'boolean'].includes(typeof c)).toBe(true);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(ServeError);
            expect((err as ServeError).status).toBe(400);
          }
        },
      ),
    );
  });
});

function fixtureBundle(name: string) {
  const dir = join(REPO_ROOT, 'test/fixtures/bundle', name);
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) files[f] = readFileSync(join(dir, f), 'utf8');
  return loadBundle(files);
}

describe('ServingModel.frameCsv', () => {
  const bundle = fixtureBundle('v2-fit-mlp'); // categorical species/island, numeric and integer columns
  const model = new ServingModel(bundle);
  const names = bundle.manifest.signature.inputs.map((c) => c.name);
  const na = new Set(DEFAULT_NA_TOKENS);
  // Category text the reader keeps as is: not a missing-value token, no surrounding spaces.
  const category = fc
    .string({ minLength: 1, maxLength: 10 })
    .filter((s) => !na.has(s.trim()) && s.trim() === s && !s.includes('\u0000'));
  const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());

  it('reads back to the same cells through the reader predict uses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.option(category),
            fc.option(category),
            fc.array(fc.option(number), { minLength: 5, maxLength: 5 }),
          ),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        async (rows) => {
          const frame = {
            columns: names,
            rows: rows.map(([a, b, nums]) => [a, b, ...nums] as Cell[]),
            shape: 'records' as const,
          };
          const csv = model.frameCsv(frame);
          const data = await ingestCsv(bytesSource('x', new TextEncoder().encode(csv)), {
            typeOverrides: signatureTypes(bundle),
            delimiter: ',',
            hasHeader: true,
            encoding: 'utf-8',
          });
          expect(data.table.nRows).toBe(rows.length);
          expect(data.schema.map((c) => c.name)).toEqual(names);
          data.table.columns.forEach((col, j) => {
            frame.rows.forEach((r, i) => {
              const v = r[j];
              if (v === null) expect(cellText(col, i)).toBe('');
              else if (typeof v === 'number')
                expect(col.storage === 'float64' && col.values[i]).toBe(v === 0 ? 0 : v);
              else expect(cellText(col, i)).toBe(v);
            });
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses a cell of the wrong JSON type, naming row and column', () => {
    const row: Cell[] = ['Adelie', 'Biscoe', 1, 2, 3, 4, 2008];
    const bad: Cell[] = [...row];
    bad[4] = 'three';
    expect(() => model.frameCsv({ columns: names, rows: [row, bad], shape: 'records' })).toThrow(
      'row 1, column "flipper_length_mm": expected a number or null (the column is integer), got the string "three"',
    );
  });
});

describe('media types', () => {
  it('parses type, subtype and parameters (quoted or not, any case)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('application/json', 'text/csv', 'Application/JSON'),
        fc.stringMatching(/^[a-zA-Z0-9-]{1,12}$/),
        fc.boolean(),
        (type, charset, quoted) => {
          const m = parseMediaType(`${type} ; Charset=${quoted ? `"${charset}"` : charset}`);
          expect(m).toEqual({ type: type.toLowerCase(), params: { charset } });
        },
      ),
    );
    expect(parseMediaType('json')).toBeNull();
    expect(parseMediaType('')).toBeNull();
  });

  it('negotiates Accept by q-value and specificity', () => {
    const offered = ['application/json', 'text/csv'];
    expect(negotiate(undefined, offered)).toBe('application/json');
    expect(negotiate('text/csv', offered)).toBe('text/csv');
    expect(negotiate('text/*', offered)).toBe('text/csv');
    expect(negotiate('*/*', offered)).toBe('application/json');
    expect(negotiate('application/json;q=0.5, text/csv', offered)).toBe('text/csv');
    expect(negotiate('text/html, image/png', offered)).toBeNull();
  });
});
