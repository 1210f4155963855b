import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { profileTable } from '../../../src/core/profile/index.ts';
import { datasetFile, datasetsDir } from '../../helpers/paths.ts';
import { readCsvTable } from './helpers.ts';

interface DatasetMeta {
  name: string;
  task: 'binary' | 'multiclass' | 'regression';
  target: string;
  n_train: number;
  classes: string[] | null;
}

const metas: DatasetMeta[] = JSON.parse(readFileSync(`${datasetsDir()}/datasets.json`, 'utf8'));

describe('real datasets: suggested target and task match datasets.json', () => {
  for (const meta of metas) {
    it(meta.name, () => {
      const t = readCsvTable(datasetFile(meta.name));
      expect(t.nRows).toBe(meta.n_train);
      const p = profileTable(t);
      expect(p.suggestion?.column).toBe(meta.target);
      expect(p.task?.task).toBe(meta.task);
      if (meta.classes) {
        expect(p.task?.classes?.map((c) => c.value).sort()).toEqual([...meta.classes].sort());
      }
      // Warnings on well-known data that must not appear: the target is not a leak of itself, no
      // id-like target, and associations are sorted by strength.
      expect(p.warnings.some((w) => w.column === meta.target && w.kind === 'leakage-suspect')).toBe(false);
      const s = p.targetAssociations!.map((a) => a.strength);
      expect(s).toEqual([...s].sort((a, b) => b - a));
    });
  }
});
