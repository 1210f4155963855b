import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { datasetFile, datasetsDir } from '../../helpers/paths.ts';
import { bytesSource, ingestCsv } from '../../../src/core/ingest/index.ts';

interface Meta {
  n_train: number;
  columns: number;
  target: string;
  task: string;
  feature_types: Record<string, string>;
}

const names = (JSON.parse(readFileSync(`${datasetsDir()}/datasets.json`, 'utf8')) as unknown[]).map((d) =>
  typeof d === 'string' ? d : (d as { name: string }).name,
);

describe('real datasets', () => {
  it.each(names)('%s/train.csv: rows, columns and types consistent with meta.json', async (name) => {
    const meta = JSON.parse(readFileSync(datasetFile(name, 'meta.json'), 'utf8')) as Meta;
    const bytes = new Uint8Array(readFileSync(datasetFile(name)));
    const r = await ingestCsv(bytesSource(`${name}.csv`, bytes, 1 << 16));
    expect(r.table.nRows).toBe(meta.n_train);
    expect(r.table.columns).toHaveLength(meta.columns);
    expect(r.dialect).toMatchObject({ delimiter: ',', hasHeader: true, encoding: 'utf-8' });
    const types = Object.fromEntries(r.schema.map((s) => [s.name, s.type]));
    for (const [col, t] of Object.entries(meta.feature_types)) {
      expect(types[col], `${name}.${col}`).toBeDefined();
      if (t === 'numeric') expect(['numeric', 'integer'], `${name}.${col}`).toContain(types[col]);
      if (t === 'date') expect(types[col], `${name}.${col}`).toBe('datetime');
    }
    if (meta.task === 'regression') expect(['numeric', 'integer']).toContain(types[meta.target]);
  });
});
