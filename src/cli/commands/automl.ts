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

export const automlCommand: Command = {
  name: 'automl',
  summary:
    'Search model families and hyperparameters within a time budget; write the best model (or ensemble) as a bundle.',
  usage: [
    'automl <train.csv> --target COL --out <dir|bundle.zip> [--budget SECONDS] [--max-trials N] [--task T]',
    '       [--families gbdt,random_forest,linear,mlp] [--metric M] [--seed N] [--sampler portfolio|frugal|tpe|random]',
    '       [--exclude COL ...] [--workers N] [--json] [--store FILE | --no-track]',
    '       [--recipe recipe.json --table NAME=FILE.csv ...] [--time-column COL]',
    '',
    '  --budget S      wall-clock budget for the command (reading the data, search and final refit),',
    '                  seconds (default 60; the run may exceed it by at most 10% for the refit). A budget too small for any trial to',
    '                  finish still gives a model: one trial trained on one fold with a minimum of',
    '                  rounds/epochs; the output says so and by how much the budget was exceeded',
    '  --max-trials N  stop after N trials (with --seed, the same trials and scores every time)',
    '  --families F    comma-separated model families to search (default all four)',
    '  --metric M      metric to optimise (default roc_auc / log_loss / rmse by task)',
    '  --sampler S     portfolio (known-good settings first, then TPE; default), frugal (cheap',
    '                  capped-round trials first, caps grown when they pay), tpe or random',
    '  --workers N     trials run in N worker threads at once (default: cores − 1, at least 1;',
    '                  0 = in this thread); with --max-trials the result does not depend on N',
    '  --json          print the manifest as JSON',
    ...FEATURE_USAGE,
    "  --time-column COL    time-ordered validation by this column (default with --recipe: the recipe's",
    '                       cutoff column): validation rows always later than training rows; k folds are',
    '                       expanding windows (train on blocks 1..f, validate on block f+1); recorded in the',
    '                       manifest so reproduce splits the same way',
    ...DECISION_USAGE,
  ].join('\n'),
  async run(argv, io) {
    // The budget covers the whole command: reading the file and starting the workers count against it.
    const startedAt = performance.now();
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        target: { type: 'string' },
        out: { type: 'string' },
        budget: { type: 'string' },
        'max-trials': { type: 'string' },
        task: { type: 'string' },
        families: { type: 'string' },
        metric: { type: 'string' },
        seed: { type: 'string', default: '42' },
        sampler: { type: 'string', default: 'portfolio' },
        exclude: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        recipe: { type: 'string' },
        'time-column': { type: 'string' },
        table: { type: 'string', multiple: true },
        store: { type: 'string' },
        'no-track': { type: 'boolean', default: false },
        ...DECISION_OPTIONS,
        workers: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new CliError('automl takes exactly one CSV file');
    if (!values.target) throw new CliError('automl needs --target COL');
    if (!values.out) throw new CliError('automl needs --out DIR');
    const seed = parseSeed(values.seed);
    const maxTrials = values['max-trials'] === undefined ? undefined : Number(values['max-trials']);
    if (maxTrials !== undefined && !(Number.isInteger(maxTrials) && maxTrials >= 1)) {
      throw new CliError(`--max-trials must be a whole number ≥ 1, got '${values['max-trials']}'`);
    }
    let budget = values.budget === undefined ? undefined : Number(values.budget);
    if (budget !== undefined && !(budget > 0))
      throw new CliError(`--budget must be a number of seconds > 0, got '${values.budget}'`);
    if (budget === undefined && maxTrials === undefined) budget = 60;
    const workers = values.workers === undefined ? undefined : Number(values.workers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0))
      throw new CliError(`--workers must be a whole number ≥ 0, got '${values.workers}'`);
    const taskOption = parseTask(values.task);
    const decisionRequest = parseDecisionArgs(values);
    const { resolveFamily } = await import('../../core/train/families.ts');
    const families = values.families?.split(',').map((f) => {
      try {
        return resolveFamily(f.trim());
      } catch (err) {
        throw new CliError((err as Error).message);
      }
    });
    const { METRICS } = await import('../../core/metrics/index.ts');
    if (values.metric !== undefined && !METRICS[values.metric]) {
      throw new CliError(`unknown metric '${values.metric}' (known: ${Object.keys(METRICS).join(', ')})`);
    }
    const { listSamplers } = await import('../../core/search/samplers/index.ts');
    if (!listSamplers().includes(values.sampler)) {
      throw new CliError(`unknown sampler '${values.sampler}' (known: ${listSamplers().join(', ')})`);
    }

    const { runAutomlJob } = await import('../../core/jobs/automl.ts');
    const { writeBundle } = await import('../bundle-io.ts');
    const { cliJobRuntime, reportRecording, automlProgress, automlExecutor, leaderboard } =
      await import('../tracking.ts');

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
    const backend =
      families === undefined || families.some((f) => f === 'linear' || f === 'mlp')
        ? {
            name: 'wasm',
            reason: 'linear models and MLPs train on TensorFlow.js (WASM in Node); trees in plain TypeScript',
          }
        : { name: 'cpu', reason: 'trees run in plain TypeScript' };
    const { runtime, storePath } = await cliJobRuntime({
      store: values.store,
      track: !values['no-track'],
      source: 'cli automl',
      bundle: values.out,
    });
    const executor = await automlExecutor(workers);
    const job = await runAutomlJob({
      data,
      target,
      task,
      seed,
      ...(families ? { families } : {}),
      ...(values.metric ? { metric: values.metric } : {}),
      ...(budget !== undefined ? { timeBudgetSeconds: budget, startedAt } : {}),
      ...(maxTrials !== undefined ? { maxTrials } : {}),
      sampler: values.sampler,
      ...(values.exclude ? { exclude: values.exclude } : {}),
      ...(executor ? { executor } : {}),
      ...(decisionRequest ? { decision: decisionRequest } : {}),
      ...(features ? { features } : {}),
      ...(values['time-column'] !== undefined ? { timeColumn: values['time-column'] } : {}),
      backend,
      ...runtime,
      hooks: automlProgress(io),
    });
    const { result, files } = job;
    writeBundle(values.out, files);
    const m = result.manifest;
    // A budget too small for any trial to finish still gives a model: say so, and by how much.
    const { budgetNote } = await import('../../core/search/clock-note.ts');
    const tooSmall = budgetNote(m);
    if (tooSmall && values.json) io.stderr(`warning: ${tooSmall}\n`);
    reportRecording(io, job, storePath, values.out);
    if (values.json) {
      for (const w of job.featureWarnings ?? []) io.stderr(`warning: ${w}\n`);
      io.stdout(files['manifest.json']);
      return 0;
    }
    const counts = { COMPLETE: 0, PRUNED: 0, FAILED: 0 } as Record<string, number>;
    for (const t of result.trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
    const score = JSON.parse(files['manifest.json']).metrics.validation[result.metric];
    io.stdout(
      [
        ...(tooSmall ? [`warning: ${tooSmall}`] : []),
        `searched ${result.trials.length} trials (${counts.COMPLETE} complete, ${counts.PRUNED} pruned, ${counts.FAILED} failed) ` +
          `in ${m.timings.totalSeconds.toFixed(1)} s; stopped by ${m.stoppedBy}`,
        ...featureLines(features, job.featureWarnings),
        `validation: ${m.split.strategy === 'kfold' ? `${m.split.folds}-fold` : 'holdout'}${m.split.stratified ? ', stratified' : ''}` +
          `${m.split.timeOrder ? `, time-ordered by ${m.split.timeOrder.column}${m.split.strategy === 'kfold' ? ' (expanding windows)' : ' (latest rows)'}` : ''}, seed ${m.split.seed}`,
        `best: trial ${result.best.number} (${result.best.family}) ${result.metric} ${result.best.value?.toFixed(4)}`,
        `final model: ${result.kind === 'ensemble' ? `ensemble of ${m.final.members.length} models` : `single ${result.best.family} model`}, ` +
          `${result.metric} ${Number.isFinite(score) ? Number(score).toFixed(4) : 'n/a'} (out-of-fold)`,
        ...(manifestDecision(files) ? [decisionLine(manifestDecision(files)!)] : []),
        `bundle written to ${values.out}`,
      ].join('\n') +
        '\n' +
        leaderboard(result),
    );
    return 0;
  },
};

/** The bundle's binary decision, if any (for the text output). */
function manifestDecision(files: Record<string, string>): Parameters<typeof decisionLine>[0] | undefined {
  return (JSON.parse(files['manifest.json']) as { decision?: Parameters<typeof decisionLine>[0] }).decision;
}
