/**
 * Self-contained CSV → FeatureMatrix loader for the benchmark datasets (swap for the real ingest module
 * later). Column types come from meta.json: numeric → float (empty = NaN); categorical → category codes
 * (from the training file, sorted; unseen test categories get a code past the known ones); date →
 * epoch days, year, month, day, day of week (Monday = 0, so the weekend is one interval), day of year.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureMatrix, Task } from '../../src/core/models/types.ts';

export interface DatasetMeta {
  name: string;
  task: Task;
  target: string;
  classes: string[] | null;
  positive_class: string | null;
  feature_types: Record<string, string>;
}

export interface LoadedSplit {
  X: FeatureMatrix;
  y: Float64Array;
}

export interface LoadedDataset {
  meta: DatasetMeta;
  nClasses: number;
  train: LoadedSplit;
  test: LoadedSplit;
}

/** RFC 4180 CSV parser (quotes, escaped quotes, embedded commas/newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else field += ch;
    } else if (ch === '"') inQuotes = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const DATE_PARTS = ['days', 'year', 'month', 'day', 'dow', 'doy'] as const;

function dateParts(s: string): number[] {
  if (s === '') return DATE_PARTS.map(() => NaN);
  const t = Date.parse(s + 'T00:00:00Z');
  const d = new Date(t);
  const start = Date.UTC(d.getUTCFullYear(), 0, 1);
  return [
    t / 86400000,
    d.getUTCFullYear(),
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    (d.getUTCDay() + 6) % 7,
    (t - start) / 86400000 + 1,
  ];
}

export function loadDataset(dir: string): LoadedDataset {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as DatasetMeta;
  const trainRows = parseCsv(readFileSync(join(dir, 'train.csv'), 'utf8'));
  const testRows = parseCsv(readFileSync(join(dir, 'test.csv'), 'utf8'));
  const header = trainRows[0];
  const testHeader = testRows[0];
  const tIdx = header.indexOf(meta.target);
  if (tIdx < 0) throw new Error(`${meta.name}: target ${meta.target} not in header`);
  const feats = header.filter((h) => h !== meta.target);
  const featureNames: string[] = [];
  const categorical: boolean[] = [];
  const nCategories: number[] = [];
  type Enc = (cells: string[]) => number[][];
  const encoders: { encTrain: Enc; encTest: Enc }[] = [];
  for (const name of feats) {
    const type = meta.feature_types[name] ?? 'numeric';
    const ci = header.indexOf(name);
    const ti = testHeader.indexOf(name);
    const col = (rows: string[][], j: number): string[] => rows.slice(1).map((r) => r[j] ?? '');
    if (type === 'categorical') {
      const levels = [...new Set(col(trainRows, ci).filter((v) => v !== ''))].sort();
      const code = new Map(levels.map((l, i) => [l, i]));
      const enc = (cells: string[]): number[][] => [
        cells.map((v) => (v === '' ? NaN : (code.get(v) ?? levels.length))),
      ];
      featureNames.push(name);
      categorical.push(true);
      nCategories.push(levels.length);
      encoders.push({ encTrain: () => enc(col(trainRows, ci)), encTest: () => enc(col(testRows, ti)) });
    } else if (type === 'date') {
      for (const p of DATE_PARTS) {
        featureNames.push(`${name}_${p}`);
        categorical.push(false);
        nCategories.push(0);
      }
      const enc = (cells: string[]): number[][] => {
        const parts = cells.map(dateParts);
        return DATE_PARTS.map((_, k) => parts.map((p) => p[k]));
      };
      encoders.push({ encTrain: () => enc(col(trainRows, ci)), encTest: () => enc(col(testRows, ti)) });
    } else {
      featureNames.push(name);
      categorical.push(false);
      nCategories.push(0);
      const enc = (cells: string[]): number[][] => [cells.map((v) => (v === '' ? NaN : Number(v)))];
      encoders.push({ encTrain: () => enc(col(trainRows, ci)), encTest: () => enc(col(testRows, ti)) });
    }
  }
  const build = (rows: string[][], which: 'encTrain' | 'encTest', targetIdx: number): LoadedSplit => {
    const n = rows.length - 1;
    const cols = encoders.flatMap((e) => e[which]([]));
    const data = new Float64Array(n * cols.length);
    cols.forEach((c, j) => data.set(c, j * n));
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = rows[i + 1][targetIdx];
      if (meta.task === 'regression') y[i] = Number(v);
      else {
        const k = (meta.classes ?? []).indexOf(v);
        if (k < 0) throw new Error(`${meta.name}: unknown class '${v}'`);
        y[i] = k;
      }
    }
    return { X: { nRows: n, nCols: cols.length, data, featureNames, categorical, nCategories }, y };
  };
  return {
    meta,
    nClasses: meta.task === 'regression' ? 1 : (meta.classes ?? []).length,
    train: build(trainRows, 'encTrain', tIdx),
    test: build(testRows, 'encTest', testHeader.indexOf(meta.target)),
  };
}

/** Predictions CSV in score.py's format. */
export function predictionsCsv(meta: DatasetMeta, pred: Float64Array, n: number): string {
  if (meta.task === 'regression')
    return 'prediction\n' + Array.from(pred, (v) => String(v)).join('\n') + '\n';
  const classes = meta.classes ?? [];
  const K = classes.length;
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [classes.map(quote).join(',')];
  for (let i = 0; i < n; i++) {
    const row: string[] = [];
    for (let k = 0; k < K; k++) row.push(String(pred[i * K + k]));
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
}
