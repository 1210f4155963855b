/**
 * The dataset a training worker works on. From the studio it is the data worker's parsed table,
 * handed over once (`TableInput`, transferred or shared: the file is not read again) and kept here
 * under its key until another one arrives. A file (the CLI-like path, and callers that still send
 * one) is read here with its type choices, once: previewing the pipeline and then training or
 * searching reads it once. A File crossing postMessage is a new object each time, so it is
 * recognised by name, size and modification time.
 */
import { ingestCsv } from '../src/core/ingest/index.ts';
import type { IngestResult } from '../src/core/ingest/types.ts';
import { TrainingError } from '../src/core/train/target.ts';
import { sourceOf } from './source.ts';
import { isTableInput, type JobInput, type TableInput, type TypeOverrides } from './types.ts';

let cached: { key: string; data: Promise<IngestResult> } | null = null;
/** The table handed over by the data worker (and the file's bytes when small). */
let held: { key: string; data: IngestResult; raw?: ArrayBuffer } | null = null;
/** `sharedTables`: tables whose columns arrived as SharedArrayBuffers (cross-origin isolated page). */
const stats = { fileReads: 0, tableInputs: 0, sharedTables: 0 };
// Readable from a debugger or a test attached to this worker (test/e2e/dataset-persist.e2e.ts).
(globalThis as { __studioTrainData?: typeof stats }).__studioTrainData = stats;

/** How this worker got its data so far (the studio's e2e checks the file is never read here). */
export function dataStats(): { fileReads: number; tableInputs: number } {
  return { fileReads: stats.fileReads, tableInputs: stats.tableInputs };
}

export function heldKey(): string | null {
  return held?.key ?? null;
}

/** The file's bytes that came with the held table (kept with a tracked run when small). */
export function heldRaw(input: JobInput): ArrayBuffer | undefined {
  return isTableInput(input) && held?.key === input.key ? held.raw : undefined;
}

/** A message the data worker posted on a table port. */
type Posted = { ok: true; value: TableInput } | { ok: false; error: { message: string } };

function received(port: MessagePort): Promise<Posted> {
  return new Promise((resolve) => {
    port.onmessage = (e: MessageEvent<Posted>) => {
      port.close();
      resolve(e.data);
    };
    port.start();
  });
}

async function tableData(input: TableInput): Promise<IngestResult> {
  let table: TableInput = input;
  if (input.port) {
    const msg = await received(input.port);
    if (!msg.ok) throw new TrainingError(`the dataset could not be handed over: ${msg.error.message}`);
    table = msg.value;
  }
  if (table.data) {
    stats.tableInputs++;
    if (isShared(table.data)) stats.sharedTables++;
    held = { key: table.key, data: table.data, ...(table.raw ? { raw: table.raw } : {}) };
    cached = null; // one dataset in memory at a time
  }
  if (held?.key !== input.key)
    throw new TrainingError(`the training worker no longer holds ${input.name}: start again to send it`);
  return held.data;
}

/** Every column's buffer is a SharedArrayBuffer (checked on the buffers, not on the sender's word). */
function isShared(data: IngestResult): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  return data.table.columns.every(
    (c) => (c.storage === 'dict' ? c.codes : c.values).buffer instanceof SharedArrayBuffer,
  );
}

export function readData(input: JobInput, typeOverrides: TypeOverrides): Promise<IngestResult> {
  if (isTableInput(input)) return tableData(input);
  const key =
    input instanceof Blob
      ? JSON.stringify([input.name, input.size, (input as File).lastModified ?? 0, typeOverrides])
      : null;
  if (key !== null && cached?.key === key) return cached.data;
  stats.fileReads++;
  held = null;
  const data = ingestCsv(sourceOf(input), { typeOverrides });
  if (key !== null) {
    cached = { key, data };
    data.catch(() => {
      if (cached?.data === data) cached = null;
    });
  }
  return data;
}
