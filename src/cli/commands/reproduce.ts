import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import type { Command } from './command.ts';

export const reproduceCommand: Command = {
  name: 'reproduce',
  summary: 'Re-fit a bundle from its manifest on the training data and check that the predictions match.',
  usage: [
    'reproduce <bundle.zip|bundle-dir> --data <train.csv> [--table NAME=FILE.csv ...] [--json]',
    '          (or: reproduce <bundle> <train.csv> ...)',
    '',
    '  Checks the data fingerprint (SHA-256 of the raw bytes) against the manifest, trains again from',
    '  the manifest (fit bundles: the same pipeline, family, hyperparameters, split and seed; automl',
    '  bundles: the recorded trial list replayed with the recorded split plan and seed, then the same',
    '  refit and ensemble) and compares predictions on the data, and the validation metrics.',
    '  Exit 0: reproduced. 1: not reproduced (the first differing prediction: row, column, expected,',
    '  got; or the data fingerprint differs). 2: bad input, when no verdict can be reached whatever the',
    '  fingerprint says: a file that is missing or unreadable, a damaged or unsafe bundle, a search',
    '  record lacking fields the replay needs, data lacking the target or a column the model reads, or',
    '  data the model cannot be trained on (e.g. a target with one class).',
    '  A time-budgeted search replays the recorded trials without the clock, applying what the clock',
    '  decided (trials cut at the deadline, halving peers, refit rounds); progress lines on stderr.',
    '  When not reproduced, `why:` lines say what differs and the likely cause.',
    '  --table NAME=FILE    a model trained with --recipe: each related table (repeatable); the recorded',
    '                       recipe computes the features again; a table that differs from the one trained',
    '                       on is reported in words ("table purchases differs from the one trained on:',
    '                       1,204 rows vs 1,250") and the verdict is not reproduced',
    '  --json   print the verdict as JSON (with notes and explanation)',
    '  --trust FINGERPRINT   a signing key to report as known (repeatable; also .automl/trusted-keys.json)',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        data: { type: 'string' },
        json: { type: 'boolean', default: false },
        trust: { type: 'string', multiple: true },
        table: { type: 'string', multiple: true },
      },
    });
    if (positionals.length === 2 && values.data !== undefined)
      throw new CliError('give the training data once: as a second argument or as --data, not both');
    if (positionals.length !== 1 && positionals.length !== 2)
      throw new CliError(
        'reproduce takes one bundle (folder or .zip) and its training data (--data train.csv)',
      );
    const dataArg = values.data ?? positionals[1];
    if (!dataArg) throw new CliError('reproduce needs --data <train.csv>');
    const path = positionals[0];
    const file = dataArg;
    const { reproduceBundle, ReproduceInputError } = await import('../../core/export/reproduce.ts');
    const { loadVerifiedBundleArg, nodeEnvironment } = await import('../bundle-io.ts');
    const { fileSource, nodeHasher } = await import('../node-io.ts');
    const { TrainingError } = await import('../../core/train/target.ts');
    const { ModelConfigError } = await import('../../core/models/types.ts');
    const { PipelineError } = await import('../../core/pipeline/index.ts');
    const { MissingColumnsError } = await import('../../core/export/score.ts');

    // Hashes and signature checked (a tampered bundle is refused); who signed it is reported.
    const { bundle, provenance, notes: integrity } = await loadVerifiedBundleArg(path, values.trust ?? []);
    const tables = values.table?.length
      ? (await (await import('./features.ts')).readTables(values.table, io)).tables
      : undefined;
    let report;
    try {
      report = await reproduceBundle(bundle, {
        ...(tables ? { tables } : {}),
        source: fileSource(file),
        dataLabel: file,
        createHasher: nodeHasher,
        environment: nodeEnvironment,
        ...(io.progress ? { onProgress: io.progress } : {}),
        onPhase: (phase) => {
          if (phase !== 'read') io.progress?.(null);
        },
        onReplay: (p) =>
          io.stderr(
            p.step === 'trial'
              ? `replay: trial ${p.trial} ${p.family} (${p.index} of ${p.total})\n`
              : 'replay: refit\n',
          ),
      });
    } catch (err) {
      // All bad input (exit 2), whatever the data fingerprint says: no verdict can be reached.
      if (err instanceof ReproduceInputError)
        throw new CliError(`${err.message} (${err.subject === 'bundle' ? path : file})`);
      if (err instanceof MissingColumnsError) throw new CliError(`${file} ${err.message}`);
      if (err instanceof PipelineError) throw new CliError(`${err.message} (${file})`);
      if (err instanceof TrainingError) throw new CliError(`cannot train on ${file}: ${err.message}`);
      if (err instanceof ModelConfigError)
        throw new CliError(`cannot train the bundle's model again (${path}): ${err.message}`);
      throw err;
    } finally {
      io.progress?.(null);
    }
    const reproduced = report.reproduced;
    // A search whose budget was too small for any trial to finish: the replay redoes its rescue.
    const rescue = bundle.manifest.search?.clock?.rescue;
    const rescueNote = rescue
      ? `no trial of the search finished within its time budget (exceeded by ${rescue.overrunSeconds} s); ` +
        (rescue.how === 'fit'
          ? `the replay trains trial ${rescue.trial} on one fold as the search did, ` +
            (rescue.rounds !== undefined
              ? `stopping it after ${rescue.rounds} rounds/epochs where the budget margin stopped it`
              : 'to its end')
          : `the replay cuts trial ${rescue.trial} after ${rescue.rounds} rounds/epochs and keeps that model, as the search did`)
      : undefined;
    const notes = rescueNote ? [...report.notes, rescueNote] : report.notes;
    const at = Math.max(1, report.lines.findLastIndex((l) => l.startsWith('note: ')) + 1);
    const lines = rescueNote
      ? [...report.lines.slice(0, at), `note: ${rescueNote}`, ...report.lines.slice(at)]
      : report.lines;

    if (values.json) {
      io.stdout(
        JSON.stringify(
          {
            verdict: report.verdict,
            provenance,
            fingerprint: {
              same: report.fingerprint.same,
              expected: report.fingerprint.expected,
              got: report.fingerprint.got,
            },
            tolerance: report.tolerance,
            firstDifference: report.firstDifference,
            metrics: report.metrics,
            rows: report.rows,
            ...(report.tableDifferences ? { tableDifferences: report.tableDifferences } : {}),
            notes,
            explanation: report.explanation,
          },
          null,
          2,
        ) + '\n',
      );
    } else io.stdout([provenance, ...integrity, ...lines].join('\n') + '\n');
    return reproduced ? 0 : 1;
  },
};
