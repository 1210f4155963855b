import { statSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import type { Command } from './command.ts';

export const monitorCommand: Command = {
  name: 'monitor',
  summary: 'Check a batch of new data against a model: drift per column, data quality, performance.',
  usage: [
    'monitor <bundle.zip|bundle-dir> <batch.csv> [--reference train.csv] [--json] [--out report.json]',
    '        [--fail-on-drift] [--drift-share S] [--method COL=ks|chi2|z|wasserstein|jensenshannon ...]',
    '        [--threshold COL=T ...] [--batch-time ISO-DATE] [--date-column COL] [--run RUN_ID]',
    '        [--store FILE | --no-track] [--retrain-data OUT.csv [--retrain-mode search|same]]',
    '        [--table NAME=FILE.csv ...]',
    '',
    '  Reads the batch as the training data was read, scores it, and compares every input column with',
    '  the reference: the training data given with --reference (statistics on the data), else the',
    '  profile stored in the bundle (reference.json, written at training time; statistics on its bins',
    '  and percentiles). Bundles made before reference profiles need --reference.',
    '  The test per column is chosen automatically: with at most 1,000',
    '  reference values, KS for numbers, chi-square for categories and numbers with ≤ 5 values, a',
    '  z-test for two-valued columns (drift when p < 0.05); with more, the Wasserstein distance divided',
    '  by the reference std for numbers and the Jensen–Shannon distance otherwise (drift when ≥ 0.1).',
    '  PSI is shown for every column. The batch drifts when at least --drift-share (default 0.5) of',
    '  the compared columns drift. With the target column present: label drift and actual metrics',
    '  (concept drift when outside the validation band); without it, for classifiers, estimated',
    '  accuracy/AUC from the predicted probabilities (CBPE; assumes calibrated probabilities).',
    '  Exit 0; 1 with --fail-on-drift when the verdict is drift; 2 on bad input.',
    '  --json   the report as JSON (schema: public/schema/monitor-report-v1.json)',
    '  The report is recorded in the tracking store (.automl/tracking.db; --store FILE, env',
    '  AUTOML_STORE) as a monitoring record of the bundle (by the SHA-256 of its manifest), linked to',
    '  --run when given; --no-track skips it. The batch is dated by the median date of its date column',
    '  (--date-column COL, else a datetime column named like a date, else the first datetime column),',
    "  else by --batch-time, else by the file's modification time.",
    '  --retrain-data OUT.csv (with --reference, the training data; the batch must have the target):',
    "  writes the training rows plus the batch's labelled rows as one CSV read with the training types,",
    "  prints its lineage (every input file's SHA-256) and the fit/automl command that retrains the",
    "  model on it (--retrain-mode: the model's search again, or the same configuration; default: search",
    "  for a search's model). The retrained bundle replays with reproduce on OUT.csv.",
    '  --table NAME=FILE.csv: a model trained with --recipe: each related table (repeatable); the batch',
    "  holds rows of the recipe's target table and the features are computed as predict --table does.",
    "  With --retrain-data, OUT.csv holds the target table's rows, the model's recipe is written beside",
    "  it (OUT.recipe.json) and the command retrains with --recipe and these --table files: every row's",
    '  features are computed again from the tables as given, each at its own cutoff.',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        reference: { type: 'string' },
        json: { type: 'boolean', default: false },
        out: { type: 'string' },
        'fail-on-drift': { type: 'boolean', default: false },
        'drift-share': { type: 'string' },
        method: { type: 'string', multiple: true },
        threshold: { type: 'string', multiple: true },
        'batch-time': { type: 'string' },
        'date-column': { type: 'string' },
        'retrain-data': { type: 'string' },
        'retrain-mode': { type: 'string' },
        run: { type: 'string' },
        store: { type: 'string' },
        'no-track': { type: 'boolean', default: false },
        table: { type: 'string', multiple: true },
      },
    });
    if (positionals.length !== 2)
      throw new CliError('monitor takes a bundle (folder or .zip) and a batch CSV');
    const [path, file] = positionals as [string, string];
    const { monitorBatch, MonitorInputError } = await import('../../core/monitor/monitor-batch.ts');
    const { DRIFT_METHODS } = await import('../../core/monitor/drift.ts');
    const { loadVerifiedBundleArg } = await import('../bundle-io.ts');
    const { fileSource, nodeHasher } = await import('../node-io.ts');
    const { PipelineError } = await import('../../core/pipeline/index.ts');

    let driftShare: number | undefined;
    if (values['drift-share'] !== undefined) {
      driftShare = Number(values['drift-share']);
      if (!(driftShare > 0 && driftShare <= 1))
        throw new CliError('--drift-share must be a number in (0, 1]');
    }
    const overrides: Record<string, { method?: keyof typeof DRIFT_METHODS; threshold?: number }> = {};
    for (const spec of values.method ?? []) {
      const [col, m] = splitSpec(spec, '--method');
      if (!(m in DRIFT_METHODS)) {
        throw new CliError(
          `--method ${spec}: unknown method (one of ${Object.keys(DRIFT_METHODS).join(', ')})`,
        );
      }
      overrides[col] = { ...overrides[col], method: m as keyof typeof DRIFT_METHODS };
    }
    for (const spec of values.threshold ?? []) {
      const [col, t] = splitSpec(spec, '--threshold');
      const v = Number(t);
      if (!(v > 0 && v < 10))
        throw new CliError(`--threshold ${spec}: the threshold must be a positive number`);
      overrides[col] = { ...overrides[col], threshold: v };
    }

    let batchTime: number | undefined;
    if (values['batch-time'] !== undefined) {
      batchTime = Date.parse(values['batch-time']);
      if (!Number.isFinite(batchTime))
        throw new CliError(
          `--batch-time ${values['batch-time']}: not a date (use e.g. 2026-04-30 or 2026-04-30T12:00Z)`,
        );
    }
    const retrainMode = values['retrain-mode'];
    if (retrainMode !== undefined && retrainMode !== 'search' && retrainMode !== 'same')
      throw new CliError(`--retrain-mode must be search or same, got ${retrainMode}`);
    if (retrainMode !== undefined && values['retrain-data'] === undefined)
      throw new CliError('--retrain-mode goes with --retrain-data OUT.csv');
    if (values['retrain-data'] !== undefined && values.reference === undefined)
      throw new CliError('--retrain-data needs the training data: give it with --reference train.csv');
    if (values['no-track'] && (values.run !== undefined || values.store !== undefined))
      throw new CliError('--no-track records nothing: it cannot go with --run or --store');

    // A tampered signed bundle is refused; hashes are checked (as predict does).
    const { bundle, notes: integrityNotes } = await loadVerifiedBundleArg(path);
    for (const note of integrityNotes) io.stderr(`note: ${note}\n`);
    const known = new Set([...bundle.manifest.signature.inputs.map((c) => c.name)]);
    for (const col of Object.keys(overrides)) {
      if (!known.has(col))
        throw new CliError(`--method/--threshold name ${col}, which is not a column the model reads`);
    }
    if (!values.reference && !bundle.reference) {
      throw new CliError(
        `${path} has no stored reference profile (made before monitoring existed): give its training data with --reference train.csv`,
      );
    }
    let tables;
    let tableFiles;
    if (values.table?.length) {
      const { readTables } = await import('./features.ts');
      ({ tables, files: tableFiles } = await readTables(values.table, io));
    }
    let result;
    try {
      result = await monitorBatch(bundle, fileSource(file), {
        createHasher: nodeHasher,
        ...(tables ? { tables } : {}),
        ...(values.reference ? { referenceSource: fileSource(values.reference) } : {}),
        ...(driftShare !== undefined ? { driftShare } : {}),
        overrides,
        date: {
          ...(batchTime !== undefined ? { userTime: batchTime } : {}),
          ...(values['date-column'] !== undefined ? { column: values['date-column'] } : {}),
          ...fileTime(file),
        },
        ...(io.progress ? { onProgress: io.progress } : {}),
      });
    } catch (err) {
      if (err instanceof MonitorInputError) throw new CliError(err.message);
      if (err instanceof PipelineError) throw new CliError(`${err.message} (${file})`);
      throw err;
    } finally {
      io.progress?.(null);
    }
    const { suggestedActions } = await import('../../core/monitor/actions.ts');
    const { monitoringSummary } = await import('../../core/monitor/summary.ts');
    const actions = suggestedActions(monitoringSummary(result), result.model.target);
    const report = {
      kind: 'automl-studio-monitor-report',
      formatVersion: 1,
      ...result,
      model: { ...result.model, bundle: path },
      actions,
    };
    const json = JSON.stringify(
      report,
      (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v),
      2,
    );
    if (values.out) writeFileSync(values.out, json + '\n');
    if (!values['no-track']) {
      const id = await recordReport(path, result, { store: values.store, run: values.run });
      const { storePath } = await import('../tracking.ts');
      io.stderr(`recorded monitoring record ${id} in ${storePath(values.store)}\n`);
    }
    if (values['retrain-data'] !== undefined) {
      const r = await import('../../core/monitor/retrain.ts');
      const mode = (retrainMode ?? (bundle.manifest.search ? 'search' : 'same')) as 'search' | 'same';
      let combined;
      let plan;
      try {
        plan = r.retrainPlan(bundle.manifest, mode);
        combined = await r.combineTrainingData(
          [
            { role: 'training', source: fileSource(values.reference!) },
            { role: 'batch', source: fileSource(file), batchTime: result.batch.date.time },
          ],
          {
            target: bundle.manifest.target,
            types: r.trainingTypes(bundle.manifest),
            createHasher: nodeHasher,
          },
        );
      } catch (err) {
        if (err instanceof r.RetrainInputError) throw new CliError(err.message);
        throw err;
      }
      const out = values['retrain-data'];
      // A model on recipe features retrains with its recipe: the rows are the target table's, and
      // the features are computed again for every row (each at its own cutoff) from --table's files.
      const recipeRun = bundle.features
        ? await recipeRetrain(bundle.features, combined.csv, {
            out,
            target: bundle.manifest.target,
            types: r.trainingTypes(bundle.manifest),
            tables: tables ?? {},
            tableSpecs: values.table ?? [],
            tableFiles: tableFiles ?? {},
          })
        : undefined;
      writeFileSync(out, combined.csv);
      for (const n of [...combined.notes, ...(recipeRun?.notes ?? [])]) io.stderr(`note: ${n}\n`);
      io.stderr(
        `wrote ${out}: ${combined.rows} rows from ${r.lineageText(combined.lineage)}\n` +
          (recipeRun ? `${recipeRun.lines.join('\n')}\n` : '') +
          `retrain (${plan.description}) with: npm run cli -- ${[
            ...r.retrainArgs(plan, out, bundle.manifest.target),
            ...(recipeRun?.args ?? []),
          ]
            .map(shellQuote)
            .join(' ')} --out retrained.zip\n`,
      );
    }
    if (values.json) io.stdout(json + '\n');
    else io.stdout(formatReport(result, actions));
    return values['fail-on-drift'] && result.drift.verdict === 'drift' ? 1 : 0;
  },
};

/**
 * `--retrain-data` for a model on recipe features: writes the recipe beside OUT.csv, checks that its
 * features compute on the combined rows with the related tables given (a missing table or column is
 * an error now, not at retraining), and returns the `--recipe … --table …` arguments of the retrain
 * command, the related tables' lineage and notes.
 */
async function recipeRetrain(
  record: import('../../core/features/spec.ts').FeaturesRecord,
  csv: Uint8Array,
  o: {
    out: string;
    target: string;
    types: Record<string, import('../../core/data/table.ts').SemanticType>;
    tables: import('../../core/features/types.ts').Tables;
    tableSpecs: readonly string[];
    tableFiles: Record<string, import('../../core/ingest/types.ts').IngestResult>;
  },
): Promise<{ args: string[]; lines: string[]; notes: string[] }> {
  const { applyFeatures, recipeTables, FeatureError } = await import('../../core/features/index.ts');
  const { bytesSource, ingestCsv } = await import('../../core/ingest/index.ts');
  const recipe = record.recipe;
  const needed = recipeTables(recipe);
  const missing = needed.filter((t) => !Object.prototype.hasOwnProperty.call(o.tables, t));
  if (missing.length)
    throw new CliError(
      `--retrain-data: this model computes its features (recipe ${recipe.name} v${recipe.version}) from ${missing.map((t) => `'${t}'`).join(', ')}: ` +
        `give ${missing.map((t) => `--table ${t}=FILE.csv`).join(' ')} (the table as it is now, covering the training rows and the batch)`,
    );
  const related = Object.fromEntries(needed.map((t) => [t, o.tables[t]!]));
  const combined = (await ingestCsv(bytesSource(o.out, csv), { typeOverrides: o.types })).table;
  let warnings: readonly string[];
  try {
    warnings = applyFeatures({ recipe, tables: related }, combined, { label: o.target }).build.warnings;
  } catch (err) {
    if (err instanceof FeatureError)
      throw new CliError(`--retrain-data: the recipe's features do not compute on ${o.out}: ${err.message}`);
    throw err;
  }
  const recipePath = o.out.replace(/\.(csv|tsv|txt)$/i, '') + '.recipe.json';
  writeFileSync(recipePath, JSON.stringify(recipe, null, 2) + '\n');
  const specOf = (name: string): string =>
    o.tableSpecs.find((s) => s.startsWith(`${name}=`)) ?? `${name}=${o.tableFiles[name]?.sourceName}`;
  const notes = warnings.map((w) => `features of ${o.out}: ${w}`);
  if (!recipe.cutoff)
    notes.push(
      `recipe ${recipe.name} has no cutoff: the training rows' features are computed from the tables as given now, ` +
        'which may hold rows they were not trained with',
    );
  return {
    args: ['--recipe', recipePath, ...needed.flatMap((t) => ['--table', specOf(t)])],
    lines: [
      `wrote ${recipePath}: recipe ${recipe.name} v${recipe.version} (${recipe.features.length} features, ` +
        `computed again for all ${combined.nRows} rows${recipe.cutoff ? ', each at its own cutoff' : ''})`,
      `related tables: ${needed
        .map((t) => {
          const f = o.tableFiles[t];
          return f
            ? `${t} = ${f.sourceName} (sha256 ${f.fingerprint.sha256.slice(0, 12)}…, ${f.fingerprint.rows} rows)`
            : t;
        })
        .join(' + ')}`,
    ],
    notes,
  };
}

/** Writes the report's monitoring record in the tracking store; returns its id. */
async function recordReport(
  bundlePath: string,
  result: Result,
  o: { store: string | undefined; run: string | undefined },
): Promise<string> {
  const { storePath } = await import('../tracking.ts');
  const { openFileStore } = await import('../file-store.ts');
  const { readBundleFiles } = await import('../bundle-io.ts');
  const { sha256Hex } = await import('../../core/export/integrity.ts');
  const { createIdGenerator } = await import('../../core/tracking/ids.ts');
  const { monitoringRecord } = await import('../../core/monitor/summary.ts');
  const { isStoreError } = await import('../../core/tracking/errors.ts');
  const manifest = readBundleFiles(bundlePath).files['manifest.json'] ?? '';
  const store = await openFileStore(storePath(o.store));
  try {
    if (o.run !== undefined && !(await store.getRun(o.run)))
      throw new CliError(
        `--run ${o.run}: no such run in ${storePath(o.store)} (the report was not recorded)`,
      );
    const now = Date.now();
    const record = monitoringRecord(result, {
      id: createIdGenerator()(),
      bundleSha256: sha256Hex(manifest),
      ...(o.run !== undefined ? { runId: o.run } : {}),
      createdAt: now,
    });
    try {
      await store.write([{ op: 'putMonitoringRecord', record }]);
    } catch (err) {
      if (isStoreError(err)) throw new CliError(`could not record the report: ${(err as Error).message}`);
      throw err;
    }
    return record.id;
  } finally {
    await store.close();
  }
}

/** The file's modification time, when it has one. */
function fileTime(file: string): { fileTime?: number } {
  try {
    return { fileTime: statSync(file).mtimeMs };
  } catch {
    return {};
  }
}

/** A shell word: as is when safe, else single-quoted. */
function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function splitSpec(spec: string, flag: string): [string, string] {
  const at = spec.lastIndexOf('=');
  if (at <= 0 || at === spec.length - 1) throw new CliError(`${flag} takes COLUMN=VALUE, got ${spec}`);
  return [spec.slice(0, at), spec.slice(at + 1)];
}

type Result = Awaited<ReturnType<typeof import('../../core/monitor/monitor-batch.ts').monitorBatch>>;

const g = (x: number | undefined, digits = 3) =>
  x === undefined || !Number.isFinite(x)
    ? '—'
    : Math.abs(x) < 1e-3 && x !== 0
      ? x.toExponential(1)
      : x.toPrecision(digits);

/** A plain-text report: the verdict first, then a row per column, then predictions and performance. */
export function formatReport(
  r: Result,
  actions: readonly import('../../core/monitor/actions.ts').SuggestedAction[] = [],
): string {
  const d = r.drift;
  const lines: string[] = [];
  lines.push(
    `batch ${r.batch.name}: ${r.batch.rows} rows, compared with ${r.reference.basis === 'training data' ? `the training data (${r.reference.name}, ${r.reference.rows} rows)` : `the stored reference profile (${r.reference.rows} rows)`}`,
  );
  lines.push(
    `verdict: ${d.verdict.toUpperCase()} — ${d.drifted} of ${d.compared} columns drifted (${(100 * d.driftedShare).toFixed(0)}%; drift from ${(100 * d.driftShare).toFixed(0)}%)`,
  );
  lines.push(`dated ${new Date(r.batch.date.time).toISOString().slice(0, 10)}: ${r.batch.date.reason}`);
  if (d.missingColumns.length) lines.push(`missing columns: ${d.missingColumns.join(', ')}`);
  if (d.newColumns.length) lines.push(`columns the model does not use: ${d.newColumns.join(', ')}`);
  lines.push('');
  const rows = [['column', 'test', 'score', 'threshold', 'drift', 'PSI', 'findings']];
  const row = (c: (typeof d.columns)[number]) => [
    c.column,
    c.method ?? '—',
    g(c.score),
    g(c.threshold, 2),
    c.drifted ? 'DRIFT' : 'ok',
    g(c.psi),
    c.findings.map((f) => f.message).join('; '),
  ];
  for (const c of d.columns) rows.push(row(c));
  if (d.predictionDrift) rows.push(row({ ...d.predictionDrift, column: '(predictions)' }));
  if (d.targetDrift) rows.push(row({ ...d.targetDrift, column: `(target ${r.model.target})` }));
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((x) => x[j]!.length)));
  for (const x of rows)
    lines.push(
      x
        .map((v, j) => (j === x.length - 1 ? v : v.padEnd(widths[j]!)))
        .join('  ')
        .trimEnd(),
    );
  const p = r.performance;
  if (p) {
    lines.push('');
    lines.push(
      p.kind === 'actual'
        ? `performance on ${p.rows} labelled rows${p.conceptDrift ? ' — CONCEPT DRIFT: the main metric is outside the validation band' : ''}:`
        : `estimated performance (${p.method}: ${p.assumption}):`,
    );
    for (const m of p.metrics) {
      const se = 'standardError' in m ? ` ± ${g(m.standardError as number, 2)}` : '';
      const val =
        m.validation !== undefined
          ? ` (validation ${g(m.validation, 4)}${m.outsideBand ? ', OUTSIDE the band' : ''})`
          : '';
      lines.push(`  ${m.metric}: ${g(m.value, 4)}${se}${val}`);
    }
    if (p.kind === 'actual' && p.confusion) {
      const { classes, counts } = p.confusion;
      lines.push('  confusion (rows: true class, columns: predicted label, as predict gives it):');
      lines.push(`    ${['', ...classes].join('\t')}`);
      counts.forEach((row, t) => lines.push(`    ${[classes[t], ...row].join('\t')}`));
    }
  }
  if (actions.length) {
    lines.push('');
    lines.push('what to do:');
    for (const a of actions) {
      lines.push(`  ${a.severity === 'alert' ? '!' : '-'} ${a.title}: ${a.why}`);
      for (const step of a.steps) lines.push(`      • ${step}`);
    }
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}
