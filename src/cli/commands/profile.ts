import { parseArgs } from 'node:util';
import { ingestCsv } from '../../core/ingest/index.ts';
import type { Delimiter } from '../../core/ingest/types.ts';
import { profileTable, formatProfileSummary } from '../../core/profile/index.ts';
import { SEMANTIC_TYPES, type SemanticType } from '../../core/data/table.ts';
import { fileSource, nodeHasher } from '../node-io.ts';
import { CliError } from '../errors.ts';
import { parseTask } from '../args.ts';
import type { Command } from './command.ts';

const DELIMITERS: Record<string, Delimiter> = {
  ',': ',',
  ';': ';',
  tab: '\t',
  '\\t': '\t',
  '\t': '\t',
  '|': '|',
};

export const profileCommand: Command = {
  name: 'profile',
  summary: 'Read a CSV file and print its profile (types, missing values, distributions, warnings, target).',
  usage: [
    'profile <file.csv> [--json] [--target COL] [--task binary|multiclass|regression]',
    '        [--delimiter ,|;|tab|"|"] [--type COL=TYPE ...]',
    '',
    '  --json         print the full profile as JSON instead of the human summary',
    '  --target COL   the column to predict (default: the suggested target)',
    '  --task T       override the detected task',
    '  --delimiter D  force the delimiter instead of detecting it',
    `  --type COL=T   override a column's type (T: ${SEMANTIC_TYPES.join(', ')}); repeatable`,
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        target: { type: 'string' },
        task: { type: 'string' },
        delimiter: { type: 'string' },
        type: { type: 'string', multiple: true },
      },
    });
    if (positionals.length !== 1) throw new CliError('profile takes exactly one CSV file');
    const file = positionals[0];
    const task = parseTask(values.task);
    let delimiter: Delimiter | undefined;
    if (values.delimiter !== undefined) {
      delimiter = DELIMITERS[values.delimiter];
      if (!delimiter) throw new CliError(`unknown delimiter '${values.delimiter}' (expected , ; tab |)`);
    }
    const typeOverrides: Record<string, SemanticType> = {};
    for (const spec of values.type ?? []) {
      const eq = spec.lastIndexOf('=');
      const col = spec.slice(0, eq);
      const t = spec.slice(eq + 1) as SemanticType;
      if (eq <= 0 || !SEMANTIC_TYPES.includes(t)) {
        throw new CliError(
          `bad --type '${spec}' (expected COL=TYPE with TYPE one of ${SEMANTIC_TYPES.join(', ')})`,
        );
      }
      typeOverrides[col] = t;
    }

    const result = await ingestCsv(fileSource(file), {
      delimiter,
      typeOverrides,
      createHasher: nodeHasher,
      onProgress: io.progress,
    });
    io.progress?.(null);
    const names = new Set(result.schema.map((c) => c.name));
    for (const col of Object.keys(typeOverrides)) {
      if (!names.has(col))
        throw new CliError(`--type names column '${col}', which is not in the file (${file})`);
    }
    if (values.target !== undefined && !names.has(values.target)) {
      throw new CliError(`target column '${values.target}' not found (${file})`);
    }
    const profile = profileTable(result.table, { target: values.target, task });

    if (values.json) {
      const out = {
        file: result.sourceName,
        dialect: result.dialect,
        fingerprint: result.fingerprint,
        schema: result.schema,
        fixups: result.fixups,
        profile,
      };
      io.stdout(JSON.stringify(out, jsonReplacer, 2) + '\n');
      return 0;
    }
    const lines: string[] = [];
    const fp = result.fingerprint;
    lines.push(`${result.sourceName}: ${fp.rows} rows × ${fp.columns} columns, ${formatBytes(fp.bytes)}`);
    const d = result.dialect;
    lines.push(
      `format: delimiter ${JSON.stringify(d.delimiter)}, ${d.hasHeader ? 'header row' : 'no header'}, ` +
        `${d.encoding}${d.bom ? ' with BOM' : ''}, decimal '${d.decimalSeparator}'`,
    );
    lines.push(`sha256: ${fp.sha256}`);
    if (result.fixups.length) {
      lines.push('', 'Fix-ups while reading:');
      for (const f of result.fixups) lines.push(`  - ${f.message}`);
    }
    lines.push('', formatProfileSummary(profile));
    io.stdout(lines.join('\n') + '\n');
    return 0;
  },
};

/** NaN and ±Infinity are not JSON: write them as null. Typed arrays as plain arrays. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as Float64Array);
  return value;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
