import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import type { Command } from './command.ts';

export const exportCommand: Command = {
  name: 'export',
  summary: 'Pack a model bundle folder into a .zip (adds the model card and the standalone scorer).',
  usage: [
    'export <bundle-dir> --out <model.zip>',
    '',
    '  Writes the bundle as one zip: manifest.json, pipeline.json (not for an ensemble), model.json,',
    '  metrics.json, signature.json, input_example.csv (when the folder has it), MODEL_CARD.md and',
    '  predict.mjs. A format 1 folder is upgraded to format 2 on the way (fields it never recorded are',
    "  marked 'unknown').",
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { out: { type: 'string' } },
    });
    if (positionals.length !== 1) throw new CliError('export takes one bundle folder');
    if (!values.out) throw new CliError('export needs --out FILE.zip');
    if (!values.out.toLowerCase().endsWith('.zip'))
      throw new CliError(`--out must name a .zip file, got '${values.out}'`);
    const [dir] = positionals;
    const { BundleError, loadBundle } = await import('../../core/export/bundle.ts');
    const { exportBundleFiles } = await import('../../core/export/package.ts');
    const { readBundleDir, writeBundle, buildScorerSource } = await import('../bundle-io.ts');
    const files = readBundleDir(dir);
    let out: Record<string, string>;
    try {
      loadBundle(files); // the model must load before it is shipped
      out = exportBundleFiles(files, { scorer: await buildScorerSource() });
    } catch (err) {
      if (err instanceof BundleError) throw new CliError(`${err.message} (${dir})`);
      throw err;
    }
    writeBundle(values.out, out);
    io.stdout(`wrote ${values.out} (${Object.keys(out).join(', ')})\n`);
    return 0;
  },
};
