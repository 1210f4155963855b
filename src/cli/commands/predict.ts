import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import type { Command } from './command.ts';

export const predictCommand: Command = {
  name: 'predict',
  rawStdout: true,
  summary: 'Score a CSV file with a model bundle (folder or .zip); writes predictions as CSV.',
  usage: [
    'predict <bundle-dir|bundle.zip> <data.csv> [--out predictions.csv] [--explain [--top K] [--json]',
    '        [--permutations N] [--background N] [--seed N]] [--table NAME=FILE.csv ...]',
    '',
    '  Classification: one probability column per class (class labels as headers) and a `prediction`',
    '  column with the predicted label. Regression: one `prediction` column. Without --out, to stdout.',
    '  Notes go to stderr: ignored columns, repairs made while reading, and cells that could not be read',
    '  as the type the model was trained on (column, count, first rows; scored as missing).',
    '',
    '  --explain adds per row the K largest contributions (default --top 3) to the output: the class',
    '  explained (binary: the positive class; multiclass: the predicted class), base_value, reason_k',
    '  (column), reason_k_value, reason_k_contribution, other_contribution (the rest) and',
    '  explained_output = base_value + the contributions + other_contribution. GBDT and random forests:',
    '  exact TreeSHAP; linear models: exact linear SHAP; MLPs and ensembles: sampling Shapley values',
    '  (--permutations per row, default 8, over --background seeded rows of the file, default 32;',
    '  reason_k_stderr is the standard error). --json writes the same as JSON instead of CSV.',
    '',
    '  --table NAME=FILE  a model trained with --recipe reads features computed from related tables: give',
    "                     each (repeatable); data.csv holds the rows of the recipe's target table. The",
    '                     recorded recipe computes the features; a table that differs from the one trained',
    '                     on (rows, content) is noted on stderr.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string' },
        explain: { type: 'boolean', default: false },
        top: { type: 'string' },
        json: { type: 'boolean', default: false },
        permutations: { type: 'string' },
        background: { type: 'string' },
        seed: { type: 'string' },
        table: { type: 'string', multiple: true },
      },
    });
    const explainOnly = ['top', 'json', 'permutations', 'background', 'seed'] as const;
    if (!values.explain) {
      const stray = explainOnly.filter((o) => values[o] !== undefined && values[o] !== false);
      if (stray.length) throw new CliError(`--${stray[0]} goes with --explain`);
    }
    const int = (name: string, text: string | undefined, min: number, max: number, dflt: number) => {
      if (text === undefined) return dflt;
      const v = Number(text);
      if (!Number.isInteger(v) || v < min || v > max)
        throw new CliError(`--${name} must be an integer from ${min} to ${max}, got ${text}`);
      return v;
    };
    const top = int('top', values.top, 1, 1000, 3);
    const permutations = int('permutations', values.permutations, 2, 10_000, 8);
    const background = int('background', values.background, 1, 10_000, 32);
    const seed = int('seed', values.seed, 0, 2 ** 31 - 1, 0);
    if (positionals.length !== 2)
      throw new CliError('predict takes a bundle (folder or .zip) and a CSV file');
    const [path, file] = positionals;
    const { scoreCsv, MissingColumnsError } = await import('../../core/export/score.ts');
    const { loadVerifiedBundleArg } = await import('../bundle-io.ts');
    const { fileSource, nodeHasher } = await import('../node-io.ts');
    const { PipelineError } = await import('../../core/pipeline/index.ts');

    // Hashes and signature checked: a tampered bundle is refused (exit 2).
    const { bundle, notes: integrity } = await loadVerifiedBundleArg(path);
    for (const note of integrity) io.stderr(`note: ${note}\n`);
    let result;
    try {
      if (bundle.features || values.table?.length) {
        // Recipe features: computed from the related tables with the recorded recipe.
        const { checkScoringTables, scoreWithFeatures } = await import('../../core/features/score.ts');
        const { readTables } = await import('./features.ts');
        const tables = values.table?.length ? (await readTables(values.table, io)).tables : {};
        checkScoringTables(bundle, tables);
        result = await scoreWithFeatures(bundle, fileSource(file), tables, {
          createHasher: nodeHasher,
          onProgress: io.progress,
        });
      } else
        result = await scoreCsv(bundle, fileSource(file), {
          createHasher: nodeHasher,
          onProgress: io.progress,
        });
    } catch (err) {
      if (err instanceof MissingColumnsError) throw new CliError(`${file} ${err.message}`);
      if (err instanceof PipelineError) throw new CliError(`${err.message} (${file})`);
      throw err;
    } finally {
      io.progress?.(null);
    }
    // Ignored columns, cells that could not be read as the model's type (scored as missing), repairs.
    for (const note of result.notes) io.stderr(`note: ${note}\n`);
    let text = result.csv;
    if (values.explain) {
      const { explainRows } = await import('../../core/explain/rows.ts');
      const { rowReasons, withReasonsCsv } = await import('../../core/explain/reasons.ts');
      const table = result.data.table;
      const ex = explainRows(bundle, table, { permutations, background, seed });
      io.stderr(`note: explanations: ${ex.description}\n`);
      for (const note of ex.notes) io.stderr(`note: ${note}\n`);
      const reasons = rowReasons(ex, table, result.predictions, top);
      if (values.json) {
        const { manifest } = bundle;
        const classes = manifest.classes;
        const p = result.predictions;
        const width = p.values.length / Math.max(1, p.nRows);
        const rows = reasons.map((r, i) => ({
          prediction: manifest.task === 'regression' || !classes ? p.values[i]! : classes[p.labels![i]!]!,
          ...(classes && manifest.task !== 'regression'
            ? {
                probabilities: Object.fromEntries(
                  classes.map((c, k) => [c, p.values[i * width + k]!] as const),
                ),
              }
            : {}),
          ...r,
        }));
        text =
          JSON.stringify(
            {
              kind: 'automl-studio-predictions',
              formatVersion: 1,
              explanation: {
                method: ex.method,
                scale: ex.scale,
                description: ex.description,
                columns: ex.columns,
                top,
                ...(ex.sampling ? { sampling: { ...ex.sampling, seed } } : {}),
              },
              rows,
            },
            (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
            2,
          ) + '\n';
      } else text = withReasonsCsv(result.csv, ex, reasons, top);
    }
    if (values.out) writeFileSync(values.out, text);
    else io.stdout(text);
    return 0;
  },
};
