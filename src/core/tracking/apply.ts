/**
 * The write semantics of every store, written once over a minimal transactional interface
 * (`BatchTx`). A store runs `applyBatch` inside its own transaction and discards everything when it
 * throws, which is what makes `write` all-or-nothing. Reads through the tx must see the batch's
 * earlier writes.
 */
import { StoreError, type StoreErrorCode } from './errors.ts';
import { deepFreeze } from './freeze.ts';
import { contentHash } from './hash.ts';
import type {
  ArtifactRecord,
  DatasetRecord,
  ExperimentRecord,
  LatestMetric,
  MetricPoint,
  ModelVersionRecord,
  MonitoringRecord,
  ParamValue,
  RegisteredModelRecord,
  RunRecord,
  WriteOp,
  WriteOpName,
  WriteResult,
} from './types.ts';

export interface BatchTx {
  getExperiment(id: string): Promise<ExperimentRecord | undefined>;
  findExperimentByName(name: string): Promise<ExperimentRecord | undefined>;
  putExperiment(rec: ExperimentRecord): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  putRun(rec: RunRecord): Promise<void>;
  addMetrics(run: RunRecord, points: readonly MetricPoint[]): Promise<void>;
  hasBlob(hash: string): Promise<boolean>;
  putBlob(hash: string, bytes: Uint8Array): Promise<void>;
  getArtifact(id: string): Promise<ArtifactRecord | undefined>;
  putArtifact(rec: ArtifactRecord): Promise<void>;
  getDataset(fingerprint: string): Promise<DatasetRecord | undefined>;
  putDataset(rec: DatasetRecord): Promise<void>;
  getRegisteredModel(name: string): Promise<RegisteredModelRecord | undefined>;
  putRegisteredModel(rec: RegisteredModelRecord): Promise<void>;
  getModelVersion(name: string, version: number): Promise<ModelVersionRecord | undefined>;
  putModelVersion(rec: ModelVersionRecord): Promise<void>;
  deleteModelVersion(name: string, version: number): Promise<void>;
  /** Every run that is RUNNING (as seen by this batch). */
  runningRuns(): Promise<readonly RunRecord[]>;
  /** Every run of an experiment (as seen by this batch). */
  runsOfExperiment(experimentId: string): Promise<readonly RunRecord[]>;
  /** Model versions whose source run is one of `runIds`. */
  versionsFromRuns(runIds: readonly string[]): Promise<readonly ModelVersionRecord[]>;
  /** Every artifact of an experiment (as seen by this batch). */
  artifactsOfExperiment(experimentId: string): Promise<readonly ArtifactRecord[]>;
  /** Deletes runs with their metric histories. */
  deleteRuns(runIds: readonly string[]): Promise<void>;
  deleteArtifacts(ids: readonly string[]): Promise<void>;
  deleteExperiment(id: string): Promise<void>;
  getMonitoringRecord(id: string): Promise<MonitoringRecord | undefined>;
  putMonitoringRecord(rec: MonitoringRecord): Promise<void>;
  deleteMonitoringRecord(id: string): Promise<void>;
  /** Deletes the monitoring records of one model version. */
  deleteMonitoringOfVersion(name: string, version: number): Promise<void>;
  /** Deletes the monitoring records of these runs. */
  deleteMonitoringOfRuns(runIds: readonly string[]): Promise<void>;
  /** Whether an artifact or a dataset (as seen by this batch) still refers to the blob. */
  blobInUse(hash: string): Promise<boolean>;
  deleteBlob(hash: string): Promise<void>;
}

/**
 * Every op name, checked against the `WriteOp` union at compile time: a missing name fails the
 * `Record<WriteOpName, true>` type, an extra one is an unknown property.
 */
const OP_NAME_TABLE: Readonly<Record<WriteOpName, true>> = {
  createExperiment: true,
  startRun: true,
  logParams: true,
  logMetrics: true,
  setTags: true,
  endRun: true,
  putArtifact: true,
  putDataset: true,
  createRegisteredModel: true,
  updateRegisteredModel: true,
  createModelVersion: true,
  updateModelVersion: true,
  deleteModelVersion: true,
  setAlias: true,
  deleteAlias: true,
  markInterrupted: true,
  deleteExperiment: true,
  putMonitoringRecord: true,
  deleteMonitoringRecord: true,
};
export const WRITE_OP_NAMES: readonly WriteOpName[] = Object.freeze(
  Object.keys(OP_NAME_TABLE) as WriteOpName[],
);
const OP_NAMES = new Set<string>(WRITE_OP_NAMES);
export const INTERRUPTED_MESSAGE = 'the app was closed or crashed while this run was running';
const TERMINAL = new Set(['COMPLETE', 'FAILED', 'PRUNED']);
const ALIAS_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const ARTIFACT_KINDS = new Set(['model', 'pipeline', 'oof-predictions', 'chart-data', 'report', 'other']);

class OpFailure extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}
const fail = (code: StoreErrorCode, message: string): never => {
  throw new OpFailure(code, message);
};

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.trim() === '') fail('INVALID', `${what} must be a non-empty string`);
  return v as string;
}
function time(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail('INVALID', `${what} must be a finite number (epoch ms), got ${String(v)}`);
  return v as number;
}
function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('INVALID', `${what} must be an object`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as object)) {
    if (k === '') fail('INVALID', `${what}: empty key`);
    if (typeof x !== 'string') fail('INVALID', `${what}.${k} must be a string, got ${typeof x}`);
    out[k] = x as string;
  }
  return out;
}
/** `tags` with `changes` merged in (a change set to null removes the tag). */
function mergeTags(
  tags: Readonly<Record<string, string>>,
  changes: unknown,
  what: string,
): Record<string, string> {
  const out: Record<string, string> = { ...tags };
  if (changes === undefined) return out;
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes))
    fail('INVALID', `${what} must be an object`);
  for (const [k, x] of Object.entries(changes as object)) {
    if (k === '') fail('INVALID', `${what}: empty key`);
    if (x === null) delete out[k];
    else if (typeof x === 'string') out[k] = x;
    else fail('INVALID', `${what}.${k} must be a string or null`);
  }
  return out;
}
function optionalText(v: unknown, fallback: string, what: string): string {
  if (v === undefined) return fallback;
  if (typeof v !== 'string') fail('INVALID', `${what} must be a string`);
  return v as string;
}
function paramMap(v: unknown, what: string): Record<string, ParamValue> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('INVALID', `${what} must be an object`);
  const out: Record<string, ParamValue> = {};
  for (const [k, x] of Object.entries(v as object)) {
    if (k === '') fail('INVALID', `${what}: empty key`);
    const ok =
      x === null ||
      typeof x === 'string' ||
      typeof x === 'boolean' ||
      (typeof x === 'number' && Number.isFinite(x));
    if (!ok) fail('INVALID', `${what}.${k} must be a string, finite number, boolean or null`);
    out[k] = x as ParamValue;
  }
  return out;
}
function bytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) fail('INVALID', `${what} must be a Uint8Array`);
  return v as Uint8Array;
}

/** True when `b` is later than `a` under "latest metric" ordering (step, then timestamp; ties: later write). */
function isLater(a: LatestMetric, b: LatestMetric): boolean {
  return b.step > a.step || (b.step === a.step && b.timestamp >= a.timestamp);
}

async function requireRun(tx: BatchTx, id: unknown, running: boolean): Promise<RunRecord> {
  const runId = str(id, 'runId');
  const run = await tx.getRun(runId);
  if (!run) return fail('NOT_FOUND', `run ${runId} does not exist`);
  if (running && run.state !== 'RUNNING') {
    fail('RUN_FINISHED', `run ${runId} has already ended (${run.state}); cannot log to a finished run`);
  }
  return run;
}

async function requireModel(tx: BatchTx, name: unknown): Promise<RegisteredModelRecord> {
  const n = str(name, 'model name');
  const m = await tx.getRegisteredModel(n);
  if (!m) return fail('NOT_FOUND', `registered model ${JSON.stringify(n)} does not exist`);
  return m;
}

async function requireVersion(tx: BatchTx, name: string, version: unknown): Promise<ModelVersionRecord> {
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return fail('INVALID', `model version must be a positive integer, got ${String(version)}`);
  }
  const v = await tx.getModelVersion(name, version);
  if (!v) return fail('NOT_FOUND', `version ${version} of model ${JSON.stringify(name)} does not exist`);
  return v;
}

async function requireDataset(tx: BatchTx, fp: unknown): Promise<string | null> {
  if (fp === undefined || fp === null) return null;
  const f = str(fp, 'datasetFingerprint');
  if (!(await tx.getDataset(f)))
    fail('NOT_FOUND', `dataset ${f} does not exist (store it with putDataset first)`);
  return f;
}

async function storeBlob(tx: BatchTx, data: Uint8Array): Promise<string> {
  const hash = contentHash(data);
  if (!(await tx.hasBlob(hash))) await tx.putBlob(hash, data.slice());
  return hash;
}

const freeze = deepFreeze;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A monitoring record checked field by field, its summary as plain JSON (non-finite numbers → null). */
async function monitoringRecord(tx: BatchTx, rec: unknown): Promise<MonitoringRecord> {
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec))
    fail('INVALID', 'record must be an object');
  const r = rec as Record<string, unknown>;
  const id = str(r.id, 'record.id');
  if (await tx.getMonitoringRecord(id)) fail('ALREADY_EXISTS', `monitoring record ${id} already exists`);
  const modelName = r.modelName ?? null;
  const modelVersion = r.modelVersion ?? null;
  if ((modelName === null) !== (modelVersion === null))
    fail('INVALID', 'record.modelName and record.modelVersion go together (both or neither)');
  if (modelName !== null) {
    const name = str(modelName, 'record.modelName');
    if (!Number.isInteger(modelVersion)) fail('INVALID', 'record.modelVersion must be an integer');
    if (!(await tx.getModelVersion(name, modelVersion as number)))
      fail('NOT_FOUND', `model ${JSON.stringify(name)} has no version ${String(modelVersion)}`);
  }
  const runId = r.runId ?? null;
  if (runId !== null && !(await tx.getRun(str(runId, 'record.runId'))))
    fail('NOT_FOUND', `run ${String(runId)} does not exist`);
  for (const k of ['bundleSha256', 'batchSha256'] as const)
    if (typeof r[k] !== 'string' || !SHA256_HEX.test(r[k] as string))
      fail('INVALID', `record.${k} must be a SHA-256 in lowercase hex`);
  const batchRows = r.batchRows;
  if (!Number.isInteger(batchRows) || (batchRows as number) < 0)
    fail('INVALID', 'record.batchRows must be a whole number ≥ 0');
  const summary = r.summary as Record<string, unknown> | null;
  if (summary === null || typeof summary !== 'object' || Array.isArray(summary))
    return fail('INVALID', 'record.summary must be an object');
  if (summary.verdict !== 'drift' && summary.verdict !== 'no drift')
    fail('INVALID', "record.summary.verdict must be 'drift' or 'no drift'");
  if (!Array.isArray(summary.columns)) fail('INVALID', 'record.summary.columns must be an array');
  if (!Array.isArray(summary.alerts) || !summary.alerts.every((a) => typeof a === 'string'))
    fail('INVALID', 'record.summary.alerts must be an array of strings');
  let json: MonitoringRecord['summary'];
  try {
    json = JSON.parse(JSON.stringify(summary)) as MonitoringRecord['summary'];
  } catch (err) {
    return fail('INVALID', `record.summary is not JSON: ${(err as Error).message}`);
  }
  return freeze({
    id,
    modelName: modelName as string | null,
    modelVersion: modelVersion as number | null,
    runId: runId as string | null,
    bundleSha256: r.bundleSha256 as string,
    batchName: str(r.batchName, 'record.batchName'),
    batchSha256: r.batchSha256 as string,
    batchRows: batchRows as number,
    batchTime: time(r.batchTime, 'record.batchTime'),
    createdAt: time(r.createdAt, 'record.createdAt'),
    summary: json,
  });
}

/** Order of listMonitoringRecords: batch time, then creation time, then id. */
export function compareMonitoringRecords(a: MonitoringRecord, b: MonitoringRecord): number {
  return a.batchTime - b.batchTime || a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Whether a record matches every given field of a query. */
export function matchesMonitoringQuery(
  r: MonitoringRecord,
  q: { modelName?: string; modelVersion?: number; runId?: string; bundleSha256?: string },
): boolean {
  return (
    (q.modelName === undefined || r.modelName === q.modelName) &&
    (q.modelVersion === undefined || r.modelVersion === q.modelVersion) &&
    (q.runId === undefined || r.runId === q.runId) &&
    (q.bundleSha256 === undefined || r.bundleSha256 === q.bundleSha256)
  );
}

interface Outcome {
  readonly modelVersions: { name: string; version: number }[];
  interrupted: number;
}

async function applyOp(tx: BatchTx, op: WriteOp, out: Outcome): Promise<void> {
  switch (op.op) {
    case 'createExperiment': {
      const id = str(op.id, 'id');
      const name = str(op.name, 'name').trim();
      if (await tx.getExperiment(id)) fail('ALREADY_EXISTS', `experiment id ${id} already exists`);
      if (await tx.findExperimentByName(name))
        fail('ALREADY_EXISTS', `an experiment named ${JSON.stringify(name)} already exists`);
      await tx.putExperiment(
        freeze({
          id,
          name,
          description: op.description ?? '',
          datasetFingerprint: await requireDataset(tx, op.datasetFingerprint),
          tags: stringMap(op.tags, 'tags'),
          createdAt: time(op.createdAt, 'createdAt'),
        }),
      );
      return;
    }
    case 'startRun': {
      const id = str(op.id, 'id');
      if (await tx.getRun(id)) fail('ALREADY_EXISTS', `run id ${id} already exists`);
      const expId = str(op.experimentId, 'experimentId');
      if (!(await tx.getExperiment(expId))) fail('NOT_FOUND', `experiment ${expId} does not exist`);
      let parentRunId: string | null = null;
      if (op.parentRunId !== undefined && op.parentRunId !== null) {
        const parent = await requireRun(tx, op.parentRunId, false);
        if (parent.experimentId !== expId) {
          fail('INVALID', `parent run ${parent.id} belongs to another experiment (${parent.experimentId})`);
        }
        parentRunId = parent.id;
      }
      await tx.putRun(
        freeze({
          id,
          experimentId: expId,
          parentRunId,
          name: op.name ?? '',
          state: 'RUNNING',
          startTime: time(op.startTime, 'startTime'),
          endTime: null,
          params: paramMap(op.params, 'params'),
          tags: stringMap(op.tags, 'tags'),
          latestMetrics: {},
          datasetFingerprint: await requireDataset(tx, op.datasetFingerprint),
          error: null,
        }),
      );
      return;
    }
    case 'logParams': {
      const run = await requireRun(tx, op.runId, true);
      const params = paramMap(op.params, 'params');
      for (const [k, v] of Object.entries(params)) {
        if (Object.hasOwn(run.params, k) && run.params[k] !== v) {
          fail(
            'INVALID',
            `param ${JSON.stringify(k)} of run ${run.id} is already ${JSON.stringify(run.params[k])}; params cannot change once logged`,
          );
        }
      }
      await tx.putRun(freeze({ ...run, params: { ...run.params, ...params } }));
      return;
    }
    case 'logMetrics': {
      const run = await requireRun(tx, op.runId, true);
      if (!Array.isArray(op.metrics)) fail('INVALID', 'metrics must be an array');
      const latest: Record<string, LatestMetric> = { ...run.latestMetrics };
      const points: MetricPoint[] = [];
      for (const [i, m] of op.metrics.entries()) {
        const key = str(m?.key, `metrics[${i}].key`);
        if (typeof m.value !== 'number') fail('INVALID', `metrics[${i}] (${key}): value must be a number`);
        if (!Number.isSafeInteger(m.step) || m.step < 0)
          fail('INVALID', `metrics[${i}] (${key}): step must be a non-negative integer`);
        const p = {
          key,
          value: m.value,
          step: m.step,
          timestamp: time(m.timestamp, `metrics[${i}].timestamp`),
        };
        points.push(freeze(p));
        const cur = latest[key];
        if (!cur || isLater(cur, p)) latest[key] = { value: p.value, step: p.step, timestamp: p.timestamp };
      }
      const updated = freeze({ ...run, latestMetrics: latest });
      await tx.addMetrics(updated, points);
      await tx.putRun(updated);
      return;
    }
    case 'setTags': {
      const run = await requireRun(tx, op.runId, false);
      await tx.putRun(freeze({ ...run, tags: { ...run.tags, ...stringMap(op.tags, 'tags') } }));
      return;
    }
    case 'endRun': {
      const run = await requireRun(tx, op.runId, true);
      if (!TERMINAL.has(op.state))
        fail('INVALID', `end state must be COMPLETE, FAILED or PRUNED, got ${JSON.stringify(op.state)}`);
      const endTime = time(op.endTime, 'endTime');
      let error = null;
      if (op.error)
        error = { reason: str(op.error.reason, 'error.reason'), message: String(op.error.message ?? '') };
      await tx.putRun(freeze({ ...run, state: op.state, endTime, error }));
      return;
    }
    case 'putArtifact': {
      const id = str(op.id, 'id');
      if (await tx.getArtifact(id)) fail('ALREADY_EXISTS', `artifact id ${id} already exists`);
      // A finished run takes artifacts too (as MLflow's): files made after the fact, such as the
      // Explain view (explain.json) computed when its run page is opened. Metrics and params do not.
      const run = await requireRun(tx, op.runId, false);
      if (!ARTIFACT_KINDS.has(op.kind)) fail('INVALID', `unknown artifact kind ${JSON.stringify(op.kind)}`);
      const data = bytes(op.bytes, 'bytes');
      const hash = await storeBlob(tx, data);
      await tx.putArtifact(
        freeze({
          id,
          runId: run.id,
          experimentId: run.experimentId,
          name: str(op.name, 'name'),
          kind: op.kind,
          contentType: op.contentType ?? 'application/octet-stream',
          contentHash: hash,
          byteLength: data.byteLength,
          meta: structuredClone(op.meta ?? {}),
          createdAt: time(op.createdAt, 'createdAt'),
        }),
      );
      return;
    }
    case 'putDataset': {
      const fp = str(op.fingerprint, 'fingerprint');
      if (!Array.isArray(op.schema)) fail('INVALID', 'schema must be an array of {name, type}');
      const existing = await tx.getDataset(fp);
      let hash = existing?.contentHash ?? null;
      let byteLength = existing?.byteLength ?? 0;
      if (op.raw !== undefined) {
        const raw = bytes(op.raw, 'raw');
        hash = await storeBlob(tx, raw);
        byteLength = raw.byteLength;
      }
      await tx.putDataset(
        freeze({
          fingerprint: fp,
          name: str(op.name, 'name'),
          schema: op.schema.map((c) => ({ name: c.name, type: c.type })),
          profile: op.profile === undefined ? (existing?.profile ?? null) : structuredClone(op.profile),
          contentHash: hash,
          byteLength,
          createdAt: existing?.createdAt ?? time(op.createdAt, 'createdAt'),
        }),
      );
      return;
    }
    case 'createRegisteredModel': {
      const name = str(op.name, 'name').trim();
      if (await tx.getRegisteredModel(name))
        fail('ALREADY_EXISTS', `a registered model named ${JSON.stringify(name)} already exists`);
      const t = time(op.createdAt, 'createdAt');
      await tx.putRegisteredModel(
        freeze({
          name,
          description: op.description ?? '',
          tags: stringMap(op.tags, 'tags'),
          aliases: {},
          latestVersion: 0,
          createdAt: t,
          updatedAt: t,
        }),
      );
      return;
    }
    case 'updateRegisteredModel': {
      const model = await requireModel(tx, op.name);
      await tx.putRegisteredModel(
        freeze({
          ...model,
          description: optionalText(op.description, model.description, 'description'),
          tags: mergeTags(model.tags, op.tags, 'tags'),
          updatedAt: time(op.updatedAt, 'updatedAt'),
        }),
      );
      return;
    }
    case 'createModelVersion': {
      const model = await requireModel(tx, op.name);
      const run = await requireRun(tx, op.sourceRunId, false);
      let artifactId: string | null = null;
      if (op.artifactId !== undefined && op.artifactId !== null) {
        const a = await tx.getArtifact(str(op.artifactId, 'artifactId'));
        if (!a) fail('NOT_FOUND', `artifact ${op.artifactId} does not exist`);
        if (a!.runId !== run.id)
          fail('INVALID', `artifact ${a!.id} belongs to run ${a!.runId}, not to the source run ${run.id}`);
        artifactId = a!.id;
      }
      const exp = await tx.getExperiment(run.experimentId);
      const t = time(op.createdAt, 'createdAt');
      const version = model.latestVersion + 1;
      await tx.putModelVersion(
        freeze({
          name: model.name,
          version,
          sourceRunId: run.id,
          experimentId: run.experimentId,
          datasetFingerprint: run.datasetFingerprint ?? exp?.datasetFingerprint ?? null,
          artifactId,
          description: op.description ?? '',
          tags: stringMap(op.tags, 'tags'),
          createdAt: t,
          updatedAt: t,
        }),
      );
      await tx.putRegisteredModel(freeze({ ...model, latestVersion: version, updatedAt: t }));
      out.modelVersions.push({ name: model.name, version });
      return;
    }
    case 'updateModelVersion': {
      const model = await requireModel(tx, op.name);
      const v = await requireVersion(tx, model.name, op.version);
      await tx.putModelVersion(
        freeze({
          ...v,
          description: optionalText(op.description, v.description, 'description'),
          tags: mergeTags(v.tags, op.tags, 'tags'),
          updatedAt: time(op.updatedAt, 'updatedAt'),
        }),
      );
      return;
    }
    case 'deleteModelVersion': {
      const model = await requireModel(tx, op.name);
      const v = await requireVersion(tx, model.name, op.version);
      const aliases = Object.fromEntries(Object.entries(model.aliases).filter(([, n]) => n !== v.version));
      await tx.deleteModelVersion(model.name, v.version);
      await tx.deleteMonitoringOfVersion(model.name, v.version);
      await tx.putRegisteredModel(freeze({ ...model, aliases }));
      return;
    }
    case 'setAlias': {
      const model = await requireModel(tx, op.name);
      const alias = str(op.alias, 'alias');
      if (!ALIAS_RE.test(alias) || alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
        fail(
          'INVALID',
          `invalid alias ${JSON.stringify(alias)}: use letters, digits, '_' or '-', starting with a letter; 'latest' and 'v<number>' are reserved`,
        );
      }
      const v = await requireVersion(tx, model.name, op.version);
      await tx.putRegisteredModel(
        freeze({
          ...model,
          aliases: { ...model.aliases, [alias]: v.version },
          updatedAt: time(op.updatedAt, 'updatedAt'),
        }),
      );
      return;
    }
    case 'deleteAlias': {
      const model = await requireModel(tx, op.name);
      const alias = str(op.alias, 'alias');
      if (!Object.hasOwn(model.aliases, alias))
        fail('NOT_FOUND', `model ${JSON.stringify(model.name)} has no alias ${JSON.stringify(alias)}`);
      const aliases = { ...model.aliases };
      delete aliases[alias];
      await tx.putRegisteredModel(freeze({ ...model, aliases, updatedAt: time(op.updatedAt, 'updatedAt') }));
      return;
    }
    case 'markInterrupted': {
      const t = time(op.endTime, 'endTime');
      const message = optionalText(op.message, INTERRUPTED_MESSAGE, 'message');
      let runs: readonly (RunRecord | undefined)[];
      if (op.runIds === undefined) runs = await tx.runningRuns();
      else {
        if (!Array.isArray(op.runIds)) fail('INVALID', 'runIds must be an array of run ids');
        const ids = [...new Set(op.runIds.map((id, i) => str(id, `runIds[${i}]`)))];
        runs = await Promise.all(ids.map((id) => tx.getRun(id)));
      }
      for (const r of runs) {
        if (!r || r.state !== 'RUNNING') continue;
        await tx.putRun(
          freeze({
            ...r,
            state: 'FAILED',
            endTime: Math.max(t, r.startTime),
            error: { reason: 'interrupted', message },
          }),
        );
        out.interrupted++;
      }
      return;
    }
    case 'putMonitoringRecord': {
      await tx.putMonitoringRecord(await monitoringRecord(tx, op.record));
      return;
    }
    case 'deleteMonitoringRecord': {
      const id = str(op.id, 'id');
      if (!(await tx.getMonitoringRecord(id))) fail('NOT_FOUND', `monitoring record ${id} does not exist`);
      await tx.deleteMonitoringRecord(id);
      return;
    }
    case 'deleteExperiment': {
      const id = str(op.id, 'id');
      if (!(await tx.getExperiment(id))) fail('NOT_FOUND', `experiment ${id} does not exist`);
      const runIds = (await tx.runsOfExperiment(id)).map((r) => r.id);
      const used = runIds.length ? await tx.versionsFromRuns(runIds) : [];
      if (used.length > 0) {
        const list = used.map((v) => `${v.name} v${v.version}`).join(', ');
        fail(
          'IN_USE',
          `experiment ${id} cannot be deleted: its runs are the source of registered model version(s) ${list}; delete those versions first`,
        );
      }
      const artifacts = await tx.artifactsOfExperiment(id);
      const hashes = new Set(artifacts.map((a) => a.contentHash));
      await tx.deleteArtifacts(artifacts.map((a) => a.id));
      await tx.deleteMonitoringOfRuns(runIds);
      await tx.deleteRuns(runIds);
      await tx.deleteExperiment(id);
      for (const h of hashes) if (!(await tx.blobInUse(h))) await tx.deleteBlob(h);
      return;
    }
  }
}

/** Validate and apply a batch through `tx`. Throws `StoreError` (with `opIndex`) on the first bad op. */
export async function applyBatch(tx: BatchTx, ops: readonly WriteOp[]): Promise<WriteResult> {
  if (!Array.isArray(ops)) throw new StoreError('INVALID', 'write() takes an array of ops');
  const out: Outcome = { modelVersions: [], interrupted: 0 };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const name = (op as { op?: unknown } | null)?.op;
    try {
      if (typeof name !== 'string' || !OP_NAMES.has(name))
        fail('INVALID', `unknown op ${JSON.stringify(name)}`);
      await applyOp(tx, op, out);
    } catch (e) {
      if (e instanceof OpFailure) {
        throw new StoreError(e.code, `write op #${i} (${String(name)}): ${e.message}`, { opIndex: i });
      }
      throw e;
    }
  }
  return Object.freeze({
    modelVersions: Object.freeze(out.modelVersions.map((v) => Object.freeze(v))),
    interrupted: out.interrupted,
  });
}

/** Order of points returned by getMetricHistory. */
export function compareMetricPoints(a: MetricPoint, b: MetricPoint): number {
  return a.step - b.step || a.timestamp - b.timestamp;
}
