/**
 * `serve`: a REST scoring server for a model bundle (node:http, no framework). The routes, request
 * and response shapes live in src/core/serve; this file reads bodies (with a size limit), writes
 * responses, logs one line per request on stderr (method, path, status, time, rows, sizes: never a
 * data value) and shuts down gracefully on SIGTERM/SIGINT (stops accepting, finishes the requests in
 * flight, exit 0).
 */
import cluster from 'node:cluster';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from '../errors.ts';
import type { CliIO, Command } from './command.ts';
import type { ScoringService, ServeResponse } from '../../core/serve/index.ts';
import type { Tables } from '../../core/features/types.ts';

export interface ServeOptions {
  readonly host?: string;
  /** 0: any free port (the startup line says which). */
  readonly port?: number;
  readonly maxBodyBytes?: number;
  readonly name?: string;
  readonly lenient?: boolean;
  readonly allowExtraColumns?: boolean;
  readonly trust?: readonly string[];
  /** No request log. */
  readonly quiet?: boolean;
  /** Log lines (and the startup line) as JSON. */
  readonly json?: boolean;
  /** How long a shutdown waits for requests in flight before closing their connections. */
  readonly drainSeconds?: number;
  /** false: score every request in its own read (default: small JSON requests arriving together share one). */
  readonly batching?: boolean;
  /** `NAME=FILE.csv` related tables of a model trained on recipe features. */
  readonly tables?: readonly string[];
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly service: ScoringService;
  /** Stops accepting, lets requests in flight finish; resolves true when all finished in time. */
  shutdown(reason?: string): Promise<boolean>;
}

export const DEFAULT_PORT = 5000;
export const DEFAULT_MAX_BODY_BYTES = 32 << 20;
const DEFAULT_DRAIN_SECONDS = 30;

/** '16mb', '512kb', '1gb' or a number of bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$/i.exec(text);
  const unit = (m?.[2] ?? 'b').toLowerCase();
  const mult = unit.startsWith('k')
    ? 1 << 10
    : unit.startsWith('m')
      ? 1 << 20
      : unit.startsWith('g')
        ? 1 << 30
        : 1;
  const v = m ? Math.floor(Number(m[1]) * mult) : NaN;
  if (!(v >= 1))
    throw new CliError(`--max-body must be a size such as 16mb, 512kb or 1000000 (bytes), got '${text}'`);
  return v;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Loads the bundle (hashes and signature checked, as `predict` does) and starts listening. */
export async function startServer(
  bundlePath: string,
  options: ServeOptions,
  io: CliIO,
): Promise<RunningServer> {
  const { loadVerifiedBundleArg } = await import('../bundle-io.ts');
  const { nodeHasher } = await import('../node-io.ts');
  const { appInfo } = await import('../bundle-io.ts');
  const { ScoringService, ServingModel, ServeError, errorResponse } =
    await import('../../core/serve/index.ts');

  const { bundle, provenance, notes } = await loadVerifiedBundleArg(bundlePath, options.trust ?? []);
  for (const note of notes) io.stderr(`note: ${note}\n`);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const app = appInfo();
  let inFlight = 0;
  let served = 0;
  let tables: Tables | undefined;
  if (options.tables?.length || bundle.features) {
    const { checkScoringTables } = await import('../../core/features/score.ts');
    const { tableDifferences } = await import('../../core/features/spec.ts');
    const { readTables } = await import('./features.ts');
    tables = options.tables?.length ? (await readTables(options.tables, io)).tables : {};
    checkScoringTables(bundle, tables);
    // how the related tables differ from the ones trained on: said once, at start
    if (bundle.features)
      for (const note of tableDifferences(bundle.features, tables)) io.stderr(`note: ${note}\n`);
  }
  const model = new ServingModel(bundle, {
    ...(tables ? { tables } : {}),
    lenient: options.lenient,
    allowExtraColumns: options.allowExtraColumns,
    createHasher: nodeHasher,
    // small JSON requests that arrive together are scored in one read (core/serve/batch.ts)
    ...(options.batching === false
      ? {}
      : { batching: { schedule: (run: () => void) => void setImmediate(run) } }),
  });
  const service = new ScoringService(model, {
    name: options.name ?? basename(bundlePath).replace(/\.zip$/i, ''),
    provenance,
    integrity:
      bundle.integrity?.note ??
      (bundle.integrity ? 'every file matches its SHA-256 in manifest.json' : 'not verified'),
    server: { name: app.name, version: app.version, commit: app.commit },
    maxBodyBytes,
    now: () => Date.now(),
    stats: () => ({ inFlight, served }),
    process: { pid: process.pid, ...(cluster.isWorker ? { worker: cluster.worker!.id } : {}) },
  });

  const log = (
    req: IncomingMessage,
    res: ServeResponse,
    started: number,
    bytesIn: number,
    bytesOut: number,
  ) => {
    if (options.quiet) return;
    const path = (req.url ?? '').split('?')[0].slice(0, 200);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const time = new Date().toISOString();
    if (options.json) {
      const rec = {
        time,
        method: req.method,
        path,
        status: res.status,
        ms,
        rows: res.rows,
        bytesIn,
        bytesOut,
        error: res.error,
      };
      io.stderr(JSON.stringify(rec) + '\n');
    } else
      io.stderr(
        `${time} ${req.method} ${path} ${res.status} ${ms}ms` +
          (res.rows !== undefined ? ` rows=${res.rows}` : '') +
          ` in=${bytesIn}B out=${bytesOut}B` +
          (res.error ? ` error=${res.error}` : '') +
          '\n',
      );
  };

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    r: ServeResponse,
    started: number,
    bytesIn: number,
    close = false,
  ) => {
    const head = req.method === 'HEAD';
    const length = Buffer.byteLength(r.body);
    // a flat [name, value, …] list: node writes it as is (no headers object to build and copy)
    const raw: string[] = [];
    const h = r.headers;
    for (const name in h) raw.push(name, h[name]);
    raw.push('content-length', String(length), 'cache-control', 'no-store');
    if (close || service.isDraining) raw.push('connection', 'close');
    res.writeHead(r.status, raw);
    // one write: node sends the head and a string body together
    res.end(head ? '' : r.body);
    served++;
    log(req, r, started, bytesIn, head ? 0 : length);
  };

  const tooLarge = () =>
    errorResponse(
      new ServeError(
        413,
        'PAYLOAD_TOO_LARGE',
        `the body is larger than the server's limit of ${maxBodyBytes} bytes (--max-body); send fewer rows per request`,
        {
          limit: maxBodyBytes,
        },
      ),
    );
  const internalError = (err: unknown) => {
    // Never a stack trace to the client; one line for the operator, without data values.
    io.stderr(
      `error: internal failure while scoring: ${err instanceof Error ? err.name : 'unknown'}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300)}\n`,
    );
    return errorResponse(
      new ServeError(
        500,
        'INTERNAL_ERROR',
        'internal error while scoring this request (the server log has the reason)',
      ),
    );
  };
  const onResponseClose = () => void inFlight--;
  /** A failure outside scoring (a bug): a 500 in JSON if nothing was sent yet, one line in the log. */
  const failed = (res: ServerResponse, err: unknown) => {
    io.stderr(
      `error: internal failure: ${(err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300)}\n`,
    );
    if (res.headersSent) return void res.destroy();
    const body =
      JSON.stringify({
        error_code: 'INTERNAL_ERROR',
        status: 500,
        message: 'internal error (the server log has the reason)',
      }) + '\n';
    res.writeHead(500, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    res.end(body);
  };

  /**
   * One request, with as little per-request machinery as possible (this is the whole cost of a
   * single-row request besides scoring): the body is read with 'data'/'end' listeners (no async
   * iterator), scoring's promise is the only one.
   */
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    inFlight++;
    res.once('close', onResponseClose);
    const headers = req.headers;
    const begin = service.begin({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: { 'content-type': header(req, 'content-type'), accept: header(req, 'accept') },
    });
    if (begin.kind === 'respond') {
      // A body nobody asked for is read and dropped (the connection stays usable).
      req.resume();
      send(req, res, begin.response, started, 0);
      return;
    }
    const lengthHeader = headers['content-length'];
    if (lengthHeader === undefined && headers['transfer-encoding'] === undefined) {
      send(
        req,
        res,
        errorResponse(
          new ServeError(
            411,
            'LENGTH_REQUIRED',
            'POST /invocations needs a Content-Length (or a chunked body)',
          ),
        ),
        started,
        0,
        true,
      );
      return;
    }
    if (lengthHeader !== undefined && Number(lengthHeader) > maxBodyBytes) {
      // Answer before reading; the connection closes after the answer.
      req.resume();
      send(req, res, tooLarge(), started, 0, true);
      return;
    }
    const plan = begin.plan;
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBodyBytes) {
        // over the limit while streaming: answer now, drop the rest, close after the answer
        req.off('data', onData);
        req.off('end', onEnd);
        send(req, res, tooLarge(), started, total, true);
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
      service
        .invoke(plan, body)
        .then(
          (response) => {
            if (!res.destroyed) send(req, res, response, started, total);
          },
          (err: unknown) => {
            if (!res.destroyed) send(req, res, internalError(err), started, total);
          },
        )
        .catch((err: unknown) => failed(res, err));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    // the client went away mid-body: nobody to answer ('end' never comes)
    req.on('error', () => {});
  };

  const server: Server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      failed(res, err);
    }
  });
  // Malformed HTTP (bad request line, headers too large): a 400 without a stack, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ error_code: 'BAD_HTTP', status, message: 'malformed HTTP request' }) + '\n';
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          err.code === 'EADDRINUSE'
            ? `port ${options.port ?? DEFAULT_PORT} on ${options.host ?? '127.0.0.1'} is in use (choose another with --port, or --port 0 for any free port)`
            : err.code === 'EACCES'
              ? `not allowed to listen on port ${options.port ?? DEFAULT_PORT} (ports below 1024 need privileges)`
              : `cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? DEFAULT_PORT}: ${err.message}`,
        ),
      ),
    );
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? DEFAULT_PORT);
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<boolean> | undefined;
  const shutdown = (reason = 'shutdown') => {
    closing ??= new Promise<boolean>((resolve) => {
      service.drain();
      if (!options.quiet)
        io.stderr(
          `${options.json ? JSON.stringify({ time: new Date().toISOString(), event: 'draining', reason, inFlight }) : `shutting down (${reason}): finishing ${inFlight} request${inFlight === 1 ? '' : 's'} in flight`}\n`,
        );
      const timer = setTimeout(
        () => {
          server.closeAllConnections();
          resolve(false);
        },
        (options.drainSeconds ?? DEFAULT_DRAIN_SECONDS) * 1000,
      );
      server.close(() => {
        clearTimeout(timer);
        resolve(true);
      });
      server.closeIdleConnections();
    });
    return closing;
  };
  return { url, port, service, shutdown };
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve a model bundle over HTTP (MLflow-style /invocations, /ping, /health, /version, /metadata).',
  usage: [
    'serve <bundle-dir|bundle.zip> [--port 5000] [--host 127.0.0.1] [options]',
    '',
    '  POST /invocations scores rows sent as JSON (dataframe_records, dataframe_split, inputs, instances,',
    '  or a list of row objects) or CSV, with exactly the code `predict` runs; answers JSON (or CSV with',
    '  Accept: text/csv, the bytes `predict` prints). GET /ping, /health, /version, /metadata.',
    '  The bundle is checked once at start (file hashes, signature), as `predict` does.',
    '',
    '  --port N                port (default 5000; 0: any free port, printed at start)',
    '  --host H                interface (default 127.0.0.1, loopback only; 0.0.0.0 for every interface)',
    '  --max-body SIZE         largest request body, e.g. 16mb, 512kb (default 32mb): larger is a 413',
    '  --name NAME             the model name in answers (default: the bundle file name)',
    '  --lenient               score cells that cannot be read as their column type as missing (as predict',
    '                          does; reported in "warnings") instead of answering 400',
    '  --allow-extra-columns   ignore columns the model does not read instead of answering 400',
    '  --trust FINGERPRINT     a signing key to report as known (repeatable)',
    '  --drain-seconds S       on SIGTERM/SIGINT, wait up to S seconds for requests in flight (default 30)',
    '  --workers N             N server processes sharing the port (node:cluster; default 1); a worker that',
    '                          dies is replaced; SIGTERM/SIGINT drains every worker',
    '  --table NAME=FILE.csv   a model trained with --recipe: each related table its features are computed',
    "                          from (repeatable); requests then hold rows of the recipe's target table",
    '  --no-batching           score every request on its own (default: small JSON requests that arrive',
    '                          together are read and scored at once; each answer is what it would be alone)',
    '  --quiet                 no request log (one line per request on stderr, never data values)',
    '  --json                  startup line on stdout and log lines on stderr as JSON',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'max-body': { type: 'string' },
        name: { type: 'string' },
        lenient: { type: 'boolean' },
        'allow-extra-columns': { type: 'boolean' },
        trust: { type: 'string', multiple: true },
        'drain-seconds': { type: 'string' },
        workers: { type: 'string' },
        quiet: { type: 'boolean' },
        json: { type: 'boolean' },
        'no-batching': { type: 'boolean' },
        table: { type: 'string', multiple: true },
      },
    });
    if (positionals.length !== 1) throw new CliError('serve takes one bundle (folder or .zip)');
    const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535 || values.port?.trim() === '')
      throw new CliError(`--port must be a whole number from 0 to 65535, got '${values.port}'`);
    const drain =
      values['drain-seconds'] === undefined ? DEFAULT_DRAIN_SECONDS : Number(values['drain-seconds']);
    if (!(drain >= 0))
      throw new CliError(`--drain-seconds must be a number ≥ 0, got '${values['drain-seconds']}'`);
    const workers = values.workers === undefined ? 1 : Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64 || values.workers?.trim() === '')
      throw new CliError(`--workers must be a whole number from 1 to 64, got '${values.workers}'`);
    if (workers > 1 && cluster.isPrimary)
      return runPrimary(positionals[0], workers, values.trust ?? [], Boolean(values.json), io, values.table);
    const running = await startServer(
      positionals[0],
      {
        port,
        host: values.host ?? '127.0.0.1',
        maxBodyBytes: values['max-body'] === undefined ? undefined : parseSize(values['max-body']),
        name: values.name,
        lenient: values.lenient,
        allowExtraColumns: values['allow-extra-columns'],
        trust: values.trust,
        quiet: values.quiet,
        json: values.json,
        drainSeconds: drain,
        batching: !values['no-batching'],
        tables: values.table,
      },
      io,
    );
    const meta = running.service.metadata() as { name: string; version: string; task: string };
    if (cluster.isWorker)
      process.send!({
        event: 'listening',
        url: running.url,
        port: running.port,
        model: { name: meta.name, version: meta.version, task: meta.task },
      });
    else if (values.json)
      io.stdout(
        JSON.stringify({
          event: 'listening',
          url: running.url,
          port: running.port,
          pid: process.pid,
          model: { name: meta.name, version: meta.version, task: meta.task },
        }) + '\n',
      );
    else
      io.stdout(
        `serving ${meta.name} (${meta.task}, version ${meta.version}) at ${running.url} — POST ${running.url}/invocations; Ctrl-C to stop\n`,
      );

    let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
    const code = await new Promise<number>((resolve) => {
      let signals = 0;
      const drainThenResolve = (signal: NodeJS.Signals) =>
        running.shutdown(signal).then(
          (clean) => {
            if (!clean) io.stderr(`error: requests still in flight after ${drain}s: connections closed\n`);
            resolve(clean ? 0 : 1);
          },
          () => resolve(1),
        );
      onSignal = cluster.isWorker
        ? // A worker drains when its primary says so (or on its own signal), once; it never exits early.
          (signal) => {
            if (signals++ === 0) void drainThenResolve(signal);
          }
        : (signal) => {
            if (signals++ === 0) return void drainThenResolve(signal);
            io.stderr(`${signal} again: exiting without waiting\n`);
            resolve(1);
          };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      if (cluster.isWorker)
        process.on('message', (m: { cmd?: string }) => {
          if (m?.cmd === 'shutdown') onSignal!('SIGTERM');
        });
    });
    process.off('SIGTERM', onSignal!);
    process.off('SIGINT', onSignal!);
    if (cluster.isWorker) process.disconnect?.(); // the channel to the primary would keep it alive
    // Nothing else should keep the process alive; if something does (a library's timer), exit anyway.
    setTimeout(() => process.exit(code), 2000).unref();
    return code;
  },
};

interface ListeningMessage {
  readonly event: 'listening';
  readonly url: string;
  readonly port: number;
  readonly model: { readonly name: string; readonly version: string; readonly task: string };
}

/**
 * `--workers N`: this process checks the bundle, forks N workers (each runs `serve` and loads the
 * bundle itself; node:cluster shares the listening port among them), prints the start line when all
 * listen, replaces a worker that dies, and on SIGTERM/SIGINT tells every worker to drain and exits
 * with the worst of their exit codes.
 */
async function runPrimary(
  bundlePath: string,
  n: number,
  trust: readonly string[],
  json: boolean,
  io: CliIO,
  tableSpecs: readonly string[] = [],
): Promise<number> {
  const { loadVerifiedBundleArg } = await import('../bundle-io.ts');
  const { bundle } = await loadVerifiedBundleArg(bundlePath, trust); // a bad bundle: exit 2 before forking
  if (bundle.features || tableSpecs.length) {
    // a missing or unreadable related table: the same error before forking
    const { checkScoringTables } = await import('../../core/features/score.ts');
    const { readTables } = await import('./features.ts');
    checkScoringTables(bundle, tableSpecs.length ? (await readTables(tableSpecs, io)).tables : {});
  }
  let shuttingDown = false;
  let worst = 0;
  const ready = new Map<number, ListeningMessage>();
  let started: () => void = () => {};
  let failed: (err: Error) => void = () => {};
  const allListening = new Promise<void>((resolve, reject) => {
    started = resolve;
    failed = reject;
  });
  const fork = () => {
    const w = cluster.fork();
    w.on('message', (m: ListeningMessage) => {
      if (m?.event !== 'listening') return;
      ready.set(w.id, m);
      if (ready.size === n) started();
    });
  };
  const exited = new Promise<void>((resolve) => {
    cluster.on('exit', (w, code, signal) => {
      const wasReady = ready.delete(w.id);
      if (!shuttingDown) {
        if (!wasReady) {
          failed(new CliError(`a worker exited (${code ?? signal}) before listening`));
          shuttingDown = true;
          for (const other of Object.values(cluster.workers ?? {})) other?.kill();
          return;
        }
        io.stderr(`worker ${w.process.pid} exited (${code ?? signal}): starting another\n`);
        fork();
        return;
      }
      worst = Math.max(worst, code ?? 1);
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
    });
  });
  for (let i = 0; i < n; i++) fork();
  try {
    await allListening;
  } catch (err) {
    await exited.catch(() => {});
    throw err;
  }
  const first = [...ready.values()][0];
  const pids = Object.values(cluster.workers ?? {}).map((w) => w!.process.pid);
  if (json)
    io.stdout(
      JSON.stringify({
        event: 'listening',
        url: first.url,
        port: first.port,
        pid: process.pid,
        workers: pids,
        model: first.model,
      }) + '\n',
    );
  else
    io.stdout(
      `serving ${first.model.name} (${first.model.task}, version ${first.model.version}) at ${first.url} with ${n} workers — POST ${first.url}/invocations; Ctrl-C to stop\n`,
    );
  const onSignal = () => {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.send({ cmd: 'shutdown' });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await exited;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return worst;
}
