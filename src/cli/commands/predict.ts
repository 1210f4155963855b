import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import type { Command } from './command.ts';

export const predictCommand: Command = {
  name: 'predict',
  rawStdout: true,
  summary: 'Score a CSV file with a model bundle (folder or .zip); writes predictions as CSV.',
  usage: [
    'predict <bundle-dir|bundle.zip> <data.csv> [--out predictions.csv]',
    '',
    '  Classification: one probability column per class (class labels as headers) and a `prediction`',
    '  column with the predicted label. Regression: one `prediction` column. Without --out, to stdout.',
    '  Notes go to stderr: ignored columns, repairs made while reading, and cells that could not be read',
    '  as the type the model was trained on (column, count, first rows; scored as missing).',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { out: { type: 'string' } },
    });
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
    if (values.out) writeFileSync(values.out, result.csv);
    else io.stdout(result.csv);
    return 0;
  },
};
