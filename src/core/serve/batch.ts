/**
 * Dynamic batching (as Triton and TF Serving do): small JSON frames that arrive together are read and
 * scored as one CSV, then the predictions are cut back into one answer per request. Reading and the
 * pipeline have a fixed cost per call that dwarfs a row's (a 50-row frame costs about two single-row
 * ones), so under concurrent load this is what keeps latency flat.
 *
 * Answers stay exactly what each request alone would get: a group is scored together only when its
 * frames share their header and hold no date column (date formats are inferred per read, so a row's
 * meaning could depend on its neighbours); when the combined read reports anything (a cell it could
 * not read, a note, an error, a row count that does not add up), every frame of the group is scored
 * on its own instead, so each error and note names its own request's rows.
 */

/** How the runtime schedules a flush: Node passes `setImmediate` (after the pending I/O is read). */
export type Schedule = (run: () => void) => void;

export interface BatchingOptions {
  readonly schedule: Schedule;
  /** Frames larger than this are scored alone (they amortise the fixed cost already). Default 64. */
  readonly maxFrameRows?: number;
  /** Rows per combined read at most. Default 2,048. */
  readonly maxBatchRows?: number;
}

/** What one queued frame needs: its CSV lines (no header), how to score it alone, and what else. */
export interface BatchEntry<R, M> {
  readonly lines: string;
  readonly nRows: number;
  readonly meta: M;
  readonly alone: () => Promise<R>;
  resolve(r: R): void;
  reject(e: unknown): void;
}

/**
 * Queues entries per header and flushes each group once per scheduled turn. `together` scores the
 * group's CSV and returns one result per entry, or null when the group must be scored entry by entry.
 */
export class FrameBatcher<R, M = undefined> {
  readonly #options: Required<BatchingOptions>;
  readonly #together: (header: string, entries: readonly BatchEntry<R, M>[]) => Promise<R[] | null>;
  #queue = new Map<string, BatchEntry<R, M>[]>();
  #scheduled = false;
  #reads = 0;
  #frames = 0;

  constructor(
    options: BatchingOptions,
    together: (header: string, entries: readonly BatchEntry<R, M>[]) => Promise<R[] | null>,
  ) {
    this.#options = { maxFrameRows: 64, maxBatchRows: 2048, ...options };
    this.#together = together;
  }

  get maxFrameRows(): number {
    return this.#options.maxFrameRows;
  }

  /** Combined reads so far and the frames they answered (frames scored alone are not counted). */
  get stats(): { readonly reads: number; readonly frames: number } {
    return { reads: this.#reads, frames: this.#frames };
  }

  add(header: string, lines: string, nRows: number, meta: M, alone: () => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let group = this.#queue.get(header);
      if (!group) this.#queue.set(header, (group = []));
      group.push({ lines, nRows, meta, alone, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        this.#options.schedule(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = new Map();
    for (const [header, group] of queue) {
      // cut the group into batches of at most maxBatchRows rows, in arrival order
      let batch: BatchEntry<R, M>[] = [];
      let rows = 0;
      for (const e of group) {
        if (batch.length && rows + e.nRows > this.#options.maxBatchRows) {
          await this.#score(header, batch);
          batch = [];
          rows = 0;
        }
        batch.push(e);
        rows += e.nRows;
      }
      if (batch.length) await this.#score(header, batch);
    }
  }

  async #score(header: string, batch: readonly BatchEntry<R, M>[]): Promise<void> {
    if (batch.length > 1) {
      let results: R[] | null = null;
      try {
        results = await this.#together(header, batch);
      } catch {
        results = null; // scored one by one below, so each error names its own request
      }
      if (results) {
        this.#reads++;
        this.#frames += batch.length;
        batch.forEach((e, i) => e.resolve(results[i]));
        return;
      }
    }
    for (const e of batch) {
      try {
        e.resolve(await e.alone());
      } catch (err) {
        e.reject(err);
      }
    }
  }
}
