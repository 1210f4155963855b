import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import type { Command } from './command.ts';

export const reproduceCommand: Command = {
  name: 'reproduce',
  summary: 'Re-fit a bundle from its manifest on the training data and check that the predictions match.',
  usage: [
    'reproduce <bundle.zip|bundle-dir> --data <train.csv> [--json]',
    '',
    '  Checks the data fingerprint (SHA-256 of the raw bytes) against the manifest, trains again from',
    '  the manifest (fit bundles: the same pipeline, family, hyperparameters, split and seed; automl',
    '  bundles: the recorded trial list replayed with the recorded split plan and seed, then the same',
    '  refit and ensemble) and compares predictions on the data, and the validation metrics.',
    '  Exit 0: reproduced. 1: not reproduced (the first differing prediction: row, column, expected,',
    '  got; or the data fingerprint differs). 2: bad input.',
    '  --json   print the verdict as JSON',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { data: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
    if (positionals.length !== 1) throw new CliError('reproduce takes one bundle (folder or .zip)');
    if (!values.data) throw new CliError('reproduce needs --data <train.csv>');
    const path = positionals[0];
    const file = values.data;
    const bundleMod = await import('../../core/export/bundle.ts');
    const { loadBundle, BundleError, createBundleFiles, createSearchBundleFiles, predictTable } = bundleMod;
    const { upgradeManifest } = await import('../../core/export/package.ts');
    const { readBundleFiles, nodeEnvironment } = await import('../bundle-io.ts');
    const { ingestCsv } = await import('../../core/ingest/index.ts');
    const { fileSource, nodeHasher } = await import('../node-io.ts');

    let bundle;
    try {
      bundle = loadBundle(readBundleFiles(path).files);
    } catch (err) {
      if (err instanceof BundleError) throw new CliError(`${err.message} (${path})`);
      throw err;
    }
    const manifest = bundle.manifest.formatVersion === 1 ? upgradeManifest(bundle.manifest) : bundle.manifest;
    const training = manifest.training!;
    const tolerance = manifest.reproducibility?.tolerance ?? 0;

    // Read the data as it was read for training: the user's type choices again.
    const readWith = (types: Record<string, string>) =>
      ingestCsv(fileSource(file), {
        createHasher: nodeHasher,
        onProgress: io.progress,
        typeOverrides: types as never,
      });
    const chosen = Object.fromEntries(
      manifest.dataset.schema.filter((c) => c.overridden).map((c) => [c.name, c.type]),
    );
    let data = await readWith(chosen);
    const typeOf = new Map(manifest.dataset.schema.map((c) => [c.name, c.type]));
    if (data.schema.some((c) => typeOf.has(c.name) && typeOf.get(c.name) !== c.type)) {
      // Changed data can change what inference sees: read every known column with its training type.
      const all = Object.fromEntries(
        data.schema.filter((c) => typeOf.has(c.name)).map((c) => [c.name, typeOf.get(c.name)!]),
      );
      data = await readWith(all);
    }
    io.progress?.(null);
    if (!data.schema.some((c) => c.name === manifest.target))
      throw new CliError(`target column '${manifest.target}' not found (${file})`);
    const fingerprintSame = data.fingerprint.sha256 === manifest.dataset.sha256;
    const lines: string[] = [];
    lines.push(
      fingerprintSame
        ? `data fingerprint matches: sha256 ${data.fingerprint.sha256}`
        : `data fingerprint differs: manifest sha256 ${manifest.dataset.sha256} (${manifest.dataset.rows} rows), ` +
            `${file} sha256 ${data.fingerprint.sha256} (${data.fingerprint.rows} rows)`,
    );

    const dataset = { name: data.sourceName, fingerprint: data.fingerprint, schema: data.schema };
    const env = nodeEnvironment(manifest.backend);
    let files: Record<string, string>;
    let newMetrics: Record<string, number>;
    const { TrainingError } = await import('../../core/train/target.ts');
    try {
      if (manifest.search) {
        const s = manifest.search;
        if (s.stoppedBy !== 'maxTrials')
          lines.push(
            `note: the search was stopped by ${s.stoppedBy}; the replay runs the same ${s.replay.length} trials without the clock`,
          );
        const { runSearch } = await import('../../core/search/runner.ts');
        const result = await runSearch({
          table: data.table,
          target: manifest.target,
          task: manifest.task,
          families: s.families,
          metric: s.metric,
          seed: s.seed,
          maxTrials: s.replay.length,
          replay: s.replay,
          sampler: s.sampler,
          folds: s.split.strategy === 'kfold' ? s.split.folds : 1,
          ...(s.split.validFraction !== undefined ? { holdoutFraction: s.split.validFraction } : {}),
          halving:
            s.halving === false
              ? false
              : { reductionFactor: s.halving.reductionFactor, minPeers: s.halving.minPeers },
          ...(s.execution?.batchSize !== undefined ? { batchSize: s.execution.batchSize } : {}),
          marginFraction: s.budget.marginFraction,
          exclude: training.exclude,
        });
        files = createSearchBundleFiles(result, dataset, env, { exclude: training.exclude });
        newMetrics = JSON.parse(files['manifest.json']).metrics.validation;
      } else {
        const { trainModel } = await import('../../core/train/train.ts');
        const { resolveFamily, TF_FAMILIES } = await import('../../core/train/families.ts');
        const family = resolveFamily(manifest.model.family);
        if (TF_FAMILIES.has(family)) {
          const { selectBackend } = await import('../../core/models/nn/backend.ts');
          await selectBackend('auto');
        }
        const trained = await trainModel({
          table: data.table,
          target: manifest.target,
          task: manifest.task,
          family,
          params: manifest.model.config,
          seed: manifest.seed,
          validFraction: training.validFraction ?? 0.2,
          exclude: training.exclude,
        });
        files = createBundleFiles(trained, dataset, env, { exclude: training.exclude });
        newMetrics = { ...trained.metrics.validation };
      }
    } catch (err) {
      if (err instanceof TrainingError) throw new CliError(`cannot train on ${file}: ${err.message}`, 1);
      throw err;
    }
    const again = loadBundle(files);

    // Predictions of the bundle and of the reproduction on the same rows.
    const classes = manifest.classes;
    const sameClasses = JSON.stringify(classes ?? null) === JSON.stringify(again.manifest.classes ?? null);
    let difference:
      | { row: number; column: string; expected: string; got: string }
      | { classes: { expected: readonly string[] | null; got: readonly string[] | null } }
      | null = null;
    let maxAbs = 0;
    if (!sameClasses) {
      difference = { classes: { expected: classes ?? null, got: again.manifest.classes ?? null } };
    } else {
      const a = predictTable(bundle, data.table);
      const b = predictTable(again, data.table);
      const k = manifest.task === 'regression' || !classes ? 1 : classes.length;
      for (let i = 0; i < a.values.length; i++) {
        const x = a.values[i];
        const y = b.values[i];
        const same = tolerance === 0 ? Object.is(x, y) : Math.abs(x - y) <= tolerance || Object.is(x, y);
        if (Number.isFinite(x) && Number.isFinite(y)) maxAbs = Math.max(maxAbs, Math.abs(x - y));
        if (!same && difference === null) {
          const row = Math.floor(i / k);
          difference = {
            row: row + 1,
            column: k === 1 ? 'prediction' : classes![i % k],
            expected: String(x),
            got: String(y),
          };
        }
      }
      if (difference === null && a.labels && b.labels) {
        for (let r = 0; r < a.nRows; r++) {
          if (a.labels[r] !== b.labels[r]) {
            difference = {
              row: r + 1,
              column: 'prediction',
              expected: classes![a.labels[r]],
              got: classes![b.labels[r]],
            };
            break;
          }
        }
      }
    }
    const metricDiffs: { metric: string; expected: number | null; got: number | null }[] = [];
    const oldMetrics = manifest.metrics.validation as Record<string, number | null>;
    for (const [name, expected] of Object.entries(oldMetrics)) {
      const got = newMetrics[name];
      const e = expected === null ? NaN : expected;
      const same =
        Object.is(e, got) || (Number.isNaN(e) && Number.isNaN(got)) || Math.abs(e - got) <= tolerance;
      if (!same) metricDiffs.push({ metric: name, expected, got: Number.isFinite(got) ? got : null });
    }
    const reproduced = fingerprintSame && difference === null && metricDiffs.length === 0;

    if (difference === null) {
      lines.push(
        `predictions on ${data.table.nRows} rows: ${tolerance === 0 ? 'bit-identical' : `within tolerance ${tolerance} (largest difference ${maxAbs})`}`,
      );
    } else if ('classes' in difference) {
      lines.push(
        `classes differ: expected ${JSON.stringify(difference.classes.expected)}, got ${JSON.stringify(difference.classes.got)}`,
      );
    } else {
      lines.push(
        `first differing prediction: row ${difference.row}, column ${difference.column}: expected ${difference.expected}, got ${difference.got}`,
      );
    }
    if (metricDiffs.length)
      for (const d of metricDiffs)
        lines.push(`validation ${d.metric} differs: expected ${d.expected ?? 'n/a'}, got ${d.got ?? 'n/a'}`);
    else lines.push(`validation metrics match (${Object.keys(oldMetrics).join(', ')})`);
    lines.push(reproduced ? 'verdict: reproduced' : 'verdict: not reproduced');

    if (values.json) {
      io.stdout(
        JSON.stringify(
          {
            verdict: reproduced ? 'reproduced' : 'not reproduced',
            fingerprint: {
              same: fingerprintSame,
              expected: manifest.dataset.sha256,
              got: data.fingerprint.sha256,
            },
            tolerance,
            firstDifference: difference,
            metrics: metricDiffs,
            rows: data.table.nRows,
          },
          null,
          2,
        ) + '\n',
      );
    } else io.stdout(lines.join('\n') + '\n');
    return reproduced ? 0 : 1;
  },
};
