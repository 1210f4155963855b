import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import type { Command } from './command.ts';

export const explainCommand: Command = {
  name: 'explain',
  summary: 'Explain a model globally on labelled data: permutation importance and mean |SHAP| per column.',
  usage: [
    'explain <bundle.zip|bundle-dir> <data.csv> [--json] [--repeats N] [--seed N] [--metric M]',
    '',
    '  The data must hold the target column (e.g. the test split). Permutation importance (every',
    "  family): how much the model's metric worsens when one input column's values are shuffled,",
    '  mean ± spread over --repeats seeded shuffles (default 5). For tree models (GBDT, random forest,',
    '  and the tree members of an ensemble, by weight): the mean |SHAP| per input column from exact',
    "  TreeSHAP, with one-hot, encoded and date-part features summed back to the user's columns",
    '  (attributions of the raw output: log-odds, class scores or the value).',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        repeats: { type: 'string', default: '5' },
        seed: { type: 'string', default: '0' },
        metric: { type: 'string' },
      },
    });
    if (positionals.length !== 2)
      throw new CliError('explain takes a bundle (folder or .zip) and a CSV file');
    const [path, file] = positionals as [string, string];
    const repeats = Number(values.repeats);
    const seed = Number(values.seed);
    if (!Number.isInteger(repeats) || repeats < 1 || repeats > 100)
      throw new CliError('--repeats must be 1 to 100');
    if (!Number.isInteger(seed)) throw new CliError('--seed must be an integer');
    const { explainBundle } = await import('../../core/explain/explain-bundle.ts');
    const { readForScoring, MissingColumnsError } = await import('../../core/export/score.ts');
    const { loadVerifiedBundleArg } = await import('../bundle-io.ts');
    const { fileSource, nodeHasher } = await import('../node-io.ts');
    // A tampered signed bundle is refused; hashes are checked (as predict does).
    const { bundle, notes: integrityNotes } = await loadVerifiedBundleArg(path);
    for (const note of integrityNotes) io.stderr(`note: ${note}\n`);
    let data;
    try {
      data = (await readForScoring(bundle, fileSource(file), { createHasher: nodeHasher })).data;
    } catch (err) {
      if (err instanceof MissingColumnsError) throw new CliError(`${file} ${err.message}`);
      throw err;
    }
    let result;
    try {
      result = explainBundle(bundle, data.table, {
        repeats,
        seed,
        ...(values.metric ? { metric: values.metric } : {}),
      });
    } catch (err) {
      throw new CliError(`${(err as Error).message} (${file})`);
    }
    if (values.json) {
      io.stdout(
        JSON.stringify({ kind: 'automl-studio-explanation', formatVersion: 1, ...result }, null, 2) + '\n',
      );
      return 0;
    }
    const g = (x: number) => (Math.abs(x) >= 1e-3 || x === 0 ? x.toPrecision(3) : x.toExponential(1));
    const lines = [
      `${result.rows} labelled rows; ${result.metric} ${g(result.baseline)}`,
      '',
      `permutation importance (drop in ${result.metric} when the column is shuffled, mean ± spread of ${repeats}):`,
    ];
    const width = Math.max(...result.permutation.map((p) => p.column.length), 6);
    for (const p of result.permutation) lines.push(`  ${p.column.padEnd(width)}  ${g(p.drop)} ± ${g(p.std)}`);
    if (result.shap) {
      lines.push('', 'mean |SHAP| per column (raw model output):');
      for (const s of result.shap) lines.push(`  ${s.column.padEnd(width)}  ${g(s.meanAbs)}`);
    }
    for (const n of result.notes) lines.push(`note: ${n}`);
    io.stdout(lines.join('\n') + '\n');
    return 0;
  },
};
