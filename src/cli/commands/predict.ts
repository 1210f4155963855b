import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import type { Command } from './command.ts';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'Score a CSV file with a model bundle; writes predictions as CSV.',
  usage: [
    'predict <bundle-dir> <data.csv> [--out predictions.csv]',
    '',
    '  Classification: one probability column per class (class labels as headers) and a `prediction`',
    '  column with the predicted label. Regression: one `prediction` column. Without --out, to stdout.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { out: { type: 'string' } },
    });
    if (positionals.length !== 2) throw new CliError('predict takes a bundle folder and a CSV file');
    const [dir, file] = positionals;
    const { loadBundle, predictTable, predictionsCsv, signatureTypes, droppedColumns, BundleError } =
      await import('../../core/export/bundle.ts');
    const { readBundleDir } = await import('../bundle-io.ts');
    const { ingestCsv } = await import('../../core/ingest/index.ts');
    const { fileSource, nodeHasher } = await import('../node-io.ts');
    const { PipelineError } = await import('../../core/pipeline/index.ts');

    let bundle;
    try {
      bundle = loadBundle(readBundleDir(dir));
    } catch (err) {
      if (err instanceof BundleError) throw new CliError(`${err.message} (${dir})`);
      throw err;
    }
    const types = signatureTypes(bundle);
    const data = await ingestCsv(fileSource(file), {
      createHasher: nodeHasher,
      typeOverrides: types,
      onProgress: io.progress,
    });
    io.progress?.(null);
    const have = new Set(data.schema.map((c) => c.name));
    const needed = bundle.manifest.signature.inputs.map((c) => c.name);
    const dropped = droppedColumns(bundle);
    const missing = needed.filter((n) => !have.has(n) && !dropped.has(n));
    if (missing.length) throw new CliError(`${file} lacks column(s) the model needs: ${missing.join(', ')}`);
    const known = new Set([...needed, bundle.manifest.target]);
    const extra = data.schema.map((c) => c.name).filter((n) => !known.has(n));
    if (extra.length)
      io.stderr(`note: ignored ${extra.length} column(s) the model does not use: ${extra.join(', ')}\n`);
    let csv: string;
    try {
      csv = predictionsCsv(bundle, predictTable(bundle, data.table));
    } catch (err) {
      if (err instanceof PipelineError) throw new CliError(`${err.message} (${file})`);
      throw err;
    }
    if (values.out) writeFileSync(values.out, csv);
    else io.stdout(csv);
    return 0;
  },
};
