import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import type { Command } from './command.ts';
import { DEFAULT_STORE, openFileStore, storeFiles } from '../file-store.ts';
import type { RunRecord } from '../../core/tracking/types.ts';

function fmtTime(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function fmtNum(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 ? v.toFixed(1) : v.toPrecision(4);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const runsCommand: Command = {
  name: 'runs',
  summary: 'List and show the runs the CLI recorded (fit) in its local tracking store.',
  usage: [
    'runs list [--experiment NAME] [--trials] [--limit N] [--json] [--store FILE]',
    'runs show <run-id> [--json] [--store FILE]',
    '',
    '  --trials       also list the trials of searches (child runs)',
    `  --store FILE   the tracking database (default ${DEFAULT_STORE}, or env AUTOML_STORE; x.jsonl = x.db)`,
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        experiment: { type: 'string' },
        limit: { type: 'string', default: '50' },
        json: { type: 'boolean', default: false },
        trials: { type: 'boolean', default: false },
        store: { type: 'string' },
      },
    });
    const [sub, ...rest] = positionals;
    const path = storeFiles(values.store ?? process.env.AUTOML_STORE ?? DEFAULT_STORE).db;
    const store = await openFileStore(path);
    if (sub === 'list') {
      if (rest.length) throw new CliError(`runs list takes no positional arguments, got '${rest[0]}'`);
      const limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new CliError(`--limit must be a whole number ≥ 1, got '${values.limit}'`);
      let experiments = await store.listExperiments();
      if (values.experiment !== undefined) {
        experiments = experiments.filter((e) => e.name === values.experiment);
        if (!experiments.length) throw new CliError(`no experiment named '${values.experiment}' in ${path}`);
      }
      const runs: { experiment: string; run: RunRecord }[] = [];
      for (const e of experiments) {
        const page = await store.searchRuns({
          experimentId: e.id,
          limit,
          ...(values.trials ? {} : { parentRunId: null }),
        });
        for (const run of page.runs) runs.push({ experiment: e.name, run });
      }
      runs.sort((a, b) => b.run.startTime - a.run.startTime || (a.run.id < b.run.id ? 1 : -1));
      const shown = runs.slice(0, limit);
      if (values.json) {
        io.stdout(
          JSON.stringify(
            shown.map((r) => ({ experiment: r.experiment, ...r.run })),
            null,
            2,
          ) + '\n',
        );
        return 0;
      }
      if (!shown.length) {
        io.stdout(`no runs recorded in ${path} yet (npm run cli -- fit … records one)\n`);
        return 0;
      }
      const rows = shown.map(({ experiment, run }) => {
        const metric = run.tags['metric'];
        const value = metric ? run.latestMetrics[metric]?.value : undefined;
        return [
          run.id,
          experiment,
          run.name,
          run.state,
          metric && value !== undefined ? `${metric} ${fmtNum(value)}` : '',
          fmtTime(run.startTime),
        ];
      });
      io.stdout(table(['run', 'experiment', 'name', 'state', 'validation', 'started'], rows) + '\n');
      return 0;
    }
    if (sub === 'show') {
      if (rest.length !== 1) throw new CliError('runs show takes one run id');
      const run = await store.getRun(rest[0]);
      if (!run) throw new CliError(`no run '${rest[0]}' in ${path}`);
      const experiment = await store.getExperiment(run.experimentId);
      const artifacts = await store.listArtifacts(run.id);
      const children = await store.countRuns({ experimentId: run.experimentId, parentRunId: run.id });
      if (values.json) {
        io.stdout(JSON.stringify({ experiment: experiment?.name, ...run, artifacts }, null, 2) + '\n');
        return 0;
      }
      const lines = [
        `run ${run.id}: ${run.name} (${run.state})`,
        `experiment: ${experiment?.name ?? run.experimentId}`,
        `started ${fmtTime(run.startTime)}, ended ${fmtTime(run.endTime) || '—'}`,
      ];
      if (run.error) lines.push(`error (${run.error.reason}): ${run.error.message}`);
      if (run.datasetFingerprint) lines.push(`dataset: ${run.datasetFingerprint}`);
      if (run.parentRunId) lines.push(`part of run ${run.parentRunId}`);
      if (children) lines.push(`${children} trial runs (runs list --trials)`);
      lines.push('', 'params:');
      for (const [k, v] of Object.entries(run.params).sort()) lines.push(`  ${k} = ${JSON.stringify(v)}`);
      lines.push('', 'metrics:');
      for (const [k, m] of Object.entries(run.latestMetrics).sort())
        lines.push(`  ${k} = ${fmtNum(m.value)}`);
      lines.push('', 'tags:');
      for (const [k, v] of Object.entries(run.tags).sort()) lines.push(`  ${k} = ${v}`);
      if (artifacts.length) {
        lines.push('', 'artifacts:');
        for (const a of artifacts) lines.push(`  ${a.name} (${a.kind}, ${a.byteLength} bytes)`);
      }
      io.stdout(lines.join('\n') + '\n');
      return 0;
    }
    throw new CliError(`runs needs 'list' or 'show <run-id>'${sub ? `, got '${sub}'` : ''}`);
  },
};
