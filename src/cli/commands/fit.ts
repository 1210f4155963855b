import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import { parseSeed, parseTask, readTrainingData } from '../args.ts';
import type { Command } from './command.ts';
import { checkFeatureExcludes, FEATURE_USAGE, featureLines, readFeaturesArgs } from './features-args.ts';
import {
  DECISION_OPTIONS,
  DECISION_USAGE,
  checkDecisionArgs,
  decisionLine,
  parseDecisionArgs,
} from '../decision-args.ts';

export const fitCommand: Command = {
  name: 'fit',
  summary: 'Train one model on a CSV file and write a model bundle (folder, or .zip).',
  usage: [
    'fit <train.csv> --target COL --out <dir|bundle.zip> [--model gbdt|linear|mlp|rf] [--task binary|multiclass|regression]',
    "        [--params '<json>'] [--seed N] [--valid-fraction F] [--exclude COL ...] [--json]",
    '        [--recipe recipe.json --table NAME=FILE.csv ...] [--time-column COL]',
    '        [--store FILE | --no-track]',
    '',
    '  --target COL         the column to predict',
    '  --out DIR|FILE.zip   where to write the bundle: a folder, or a zip when the name ends in .zip',
    '  --model M            model family (default gbdt)',
    '  --task T             default: detected from the target column',
    '  --params JSON        hyperparameters, e.g. \'{"rounds": 300, "learningRate": 0.05}\'',
    '  --seed N             seed for every random choice (default 42)',
    '  --valid-fraction F   share of rows held out for validation (default 0.2)',
    '  --exclude COL        leave a column out of the features; repeatable',
    '  --json               print the manifest as JSON',
    '  --store FILE         record the run in this tracking database (default .automl/tracking.db)',
    '  --no-track           do not record the run',
    ...FEATURE_USAGE,
    "  --time-column COL    hold out the latest rows by this column (default with --recipe: the recipe's",
    '                       cutoff column) instead of a seeded sample; recorded for reproduce',
    ...DECISION_USAGE,
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        target: { type: 'string' },
        out: { type: 'string' },
        model: { type: 'string', default: 'gbdt' },
        task: { type: 'string' },
        params: { type: 'string' },
        seed: { type: 'string', default: '42' },
        'valid-fraction': { type: 'string', default: '0.2' },
        exclude: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        recipe: { type: 'string' },
        'time-column': { type: 'string' },
        table: { type: 'string', multiple: true },
        store: { type: 'string' },
        'no-track': { type: 'boolean', default: false },
        ...DECISION_OPTIONS,
      },
    });
    if (positionals.length !== 1) throw new CliError('fit takes exactly one CSV file');
    if (!values.target) throw new CliError('fit needs --target COL');
    if (!values.out) throw new CliError('fit needs --out DIR (or --out FILE.zip)');
    const seed = parseSeed(values.seed);
    const validFraction = Number(values['valid-fraction']);
    if (!(validFraction > 0 && validFraction < 1))
      throw new CliError(`--valid-fraction must be between 0 and 1, got '${values['valid-fraction']}'`);
    let params: Record<string, unknown> = {};
    if (values.params !== undefined) {
      try {
        params = JSON.parse(values.params);
      } catch (err) {
        throw new CliError(`--params is not valid JSON: ${(err as Error).message}`);
      }
      if (!params || typeof params !== 'object' || Array.isArray(params))
        throw new CliError('--params must be a JSON object');
    }
    const taskOption = parseTask(values.task);
    const decisionRequest = parseDecisionArgs(values);

    const { resolveFamily, TF_FAMILIES } = await import('../../core/train/families.ts');
    const family = (() => {
      try {
        return resolveFamily(values.model);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
    })();
    const { runFitJob } = await import('../../core/jobs/fit.ts');
    const { writeBundle } = await import('../bundle-io.ts');
    const { cliJobRuntime, reportRecording } = await import('../tracking.ts');

    const file = positionals[0];
    const target = values.target;
    // With a recipe, the file is the recipe's target table and the features come from the related tables.
    const features = await readFeaturesArgs(values.recipe, values.table, io, values.store);
    const { data, task } = await readTrainingData(
      file,
      target,
      features ? [] : (values.exclude ?? []),
      taskOption,
      io,
    );
    if (features) checkFeatureExcludes(features, data.schema, values.exclude ?? [], file);
    if (decisionRequest) {
      const { encodeTarget } = await import('../../core/train/target.ts');
      checkDecisionArgs(
        decisionRequest,
        task,
        task === 'binary' ? encodeTarget(data.table, target, task).classes : undefined,
      );
    }

    let backend: { name: string; reason?: string; adapter?: unknown } = {
      name: 'cpu',
      reason: 'trees run in plain TypeScript',
    };
    if (TF_FAMILIES.has(family)) {
      const { selectBackend } = await import('../../core/models/nn/backend.ts');
      const choice = await selectBackend('auto');
      backend = {
        name: choice.name,
        reason: choice.reason,
        ...(choice.adapter ? { adapter: choice.adapter } : {}),
      };
    }
    const { runtime, storePath } = await cliJobRuntime({
      store: values.store,
      track: !values['no-track'],
      source: 'cli fit',
      bundle: values.out,
    });
    const job = await runFitJob({
      data,
      target,
      task,
      family,
      params,
      seed,
      validFraction,
      ...(values.exclude ? { exclude: values.exclude } : {}),
      ...(decisionRequest ? { decision: decisionRequest } : {}),
      ...(features ? { features } : {}),
      ...(values['time-column'] !== undefined ? { timeOrder: { column: values['time-column'] } } : {}),
      backend,
      ...runtime,
    });
    const { trained, files } = job;
    writeBundle(values.out, files);
    reportRecording(io, job, storePath, values.out);
    if (values.json) {
      for (const w of job.featureWarnings ?? []) io.stderr(`warning: ${w}\n`);
      io.stdout(files['manifest.json']);
      return 0;
    }
    const m = trained.metrics.validation;
    const metricText = Object.entries(m)
      .map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toFixed(4) : 'n/a'}`)
      .join(', ');
    io.stdout(
      [
        trained.refit
          ? `trained ${family} (${task}) on all ${trained.refit.rows} rows of ${data.sourceName}, target '${target}', ` +
            `with the ${trained.refit.iterations} rounds/epochs chosen on a validation holdout`
          : `trained ${family} (${task}) on ${trained.split.trainRows} rows of ${data.sourceName}, target '${target}'`,
        ...featureLines(features, job.featureWarnings),
        `validation (${trained.split.validRows} held-out rows${trained.split.timeOrder ? `, the latest by ${trained.split.timeOrder.column}` : ''}, ` +
          `model fitted on the other ${trained.split.trainRows}): ${metricText}`,
        ...(trained.decision ? [decisionLine(trained.decision)] : []),
        ...(trained.droppedMissingTarget
          ? [`left out ${trained.droppedMissingTarget} rows with no target value`]
          : []),
        `bundle written to ${values.out}`,
      ].join('\n') + '\n',
    );
    return 0;
  },
};
