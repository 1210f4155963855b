/** Column names from the header row: trimmed; blank → column_N (1-based); duplicates → x_2, x_3, … */
import type { Fixup } from './types.ts';

export interface FixedNames {
  readonly names: string[];
  readonly fixups: Fixup[];
}

export function fixHeaderNames(raw: readonly string[]): FixedNames {
  const fixups: Fixup[] = [];
  const trimmed = raw.map((r) => r.trim());
  const taken = new Set<string>(trimmed.filter((t) => t !== ''));
  const used = new Set<string>();
  const names: string[] = [];
  trimmed.forEach((t, i) => {
    let name = t;
    if (name === '') {
      name = `column_${i + 1}`;
      for (let k = 2; taken.has(name) || used.has(name); k++) name = `column_${i + 1}_${k}`;
      fixups.push({
        kind: 'renamed-blank',
        message: `blank column name at position ${i + 1} → ${name}`,
        column: name,
      });
    } else if (used.has(name)) {
      let k = 2;
      while (used.has(`${t}_${k}`) || taken.has(`${t}_${k}`)) k++;
      name = `${t}_${k}`;
      fixups.push({
        kind: 'renamed-duplicate',
        message: `renamed duplicate column ${t} → ${name}`,
        column: name,
      });
    }
    used.add(name);
    names.push(name);
  });
  return { names, fixups };
}

export function defaultNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `column_${i + 1}`);
}
