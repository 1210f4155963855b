/**
 * The scoring-server benchmark's load generator: keep-alive connections over raw `node:net` sockets,
 * each with a fixed number of requests in flight (pipelining; 1 = a closed loop, autocannon's
 * default), the request bytes built once. Responses are read with a minimal HTTP/1.1 parser (status
 * line, Content-Length; the server always sends one) so that the generator's own cost stays small
 * next to the server's: node:http's client costs about as much per request as the server does, and on
 * a 2-core machine that is CPU taken from the server. It reports its own CPU time so the benchmark can
 * say how much of the machine it used.
 *
 * Run by bench/serve/run.ts in its own process (`fork`: options over IPC, results in a file); `runLoad` is
 * also callable in-process (the tests do).
 */
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

export interface LoadOptions {
  readonly host: string;
  readonly port: number;
  /** Complete HTTP/1.1 requests (request line, headers, body), sent in turn. */
  readonly requests: readonly Uint8Array[];
  readonly connections: number;
  /** Requests in flight per connection (default 1). */
  readonly pipelining?: number;
  /** Stop sending after this long… */
  readonly seconds: number;
  /** …or after this many requests (whichever comes first). */
  readonly maxRequests: number;
  /** Requests per connection before measuring (not counted). Default 2. */
  readonly warmup?: number;
}

export interface LoadResult {
  readonly requests: number;
  /** Answers with a status other than 200, and requests that got no answer (socket errors). */
  readonly errors: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly seconds: number;
  /** Milliseconds from writing a request to reading the last byte of its answer. */
  readonly latencies: Float64Array;
  /** The generator's CPU time (user + system) over the measured period, in seconds. */
  readonly cpuSeconds: number;
}

/** Builds a POST request's bytes (Content-Length from the body). */
export function postRequest(
  host: string,
  port: number,
  path: string,
  contentType: string,
  body: Uint8Array,
): Buffer {
  const head =
    `POST ${path} HTTP/1.1\r\nhost: ${host}:${port}\r\ncontent-type: ${contentType}\r\n` +
    `content-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CLOSE = /\r\nconnection:[ \t]*close/i;

/**
 * Reads HTTP/1.1 responses from a byte stream: `push` bytes, get back each complete response's
 * status (and whether the server will close the connection after it). A response without a
 * Content-Length is an error (this server never sends one).
 */
export class ResponseReader {
  #buf: Buffer = Buffer.alloc(0);
  #need = -1; // bytes of the current response (head + body) once its head is read
  #status = 0;
  #close = false;

  push(chunk: Buffer, onResponse: (status: number, close: boolean) => void): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    for (;;) {
      if (this.#need < 0) {
        const end = this.#buf.indexOf(CRLFCRLF);
        if (end < 0) return;
        const head = this.#buf.toString('latin1', 0, end + 2);
        // "HTTP/1.1 200 OK"
        this.#status = Number(head.slice(9, 12));
        const m = CONTENT_LENGTH.exec(head);
        if (!m) throw new Error(`a response without Content-Length: ${JSON.stringify(head.slice(0, 200))}`);
        this.#close = CLOSE.test(head);
        this.#need = end + 4 + Number(m[1]);
      }
      if (this.#buf.length < this.#need) return;
      this.#buf = this.#buf.subarray(this.#need);
      this.#need = -1;
      onResponse(this.#status, this.#close);
    }
  }
}

/** Runs the load: `connections` sockets, each keeping `pipelining` requests in flight until the end. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const pipelining = Math.max(1, o.pipelining ?? 1);
  const warmup = o.warmup ?? 2;
  const latencies = new Float64Array(o.maxRequests);
  const statuses: Record<string, number> = {};
  let requests = 0;
  let answered = 0;
  let errors = 0;
  let next = 0;
  let measuring = false;
  let deadline = Infinity;
  const payload = () => o.requests[next++ % o.requests.length];

  // Warm-up: `warmup` requests per connection, one at a time, not measured; a connection the server
  // closes is opened again, so that every measured connection starts open.
  const open = () =>
    new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: o.host, port: o.port, noDelay: true }, () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
  const warm = async (): Promise<Socket> => {
    let left = warmup;
    for (;;) {
      const s = await open();
      if (left === 0) return s;
      const closed = await new Promise<boolean>((resolve, reject) => {
        const reader = new ResponseReader();
        const onData = (d: Buffer) =>
          reader.push(d, (_status, close) => {
            left--;
            if (close || left === 0) {
              s.off('data', onData);
              s.off('error', reject);
              resolve(close);
            } else s.write(payload());
          });
        s.on('data', onData);
        s.once('error', reject);
        s.write(payload());
      });
      if (!closed) return s;
      s.destroy();
    }
  };
  const sockets = await Promise.all(Array.from({ length: o.connections }, warm));

  const cpu0 = process.cpuUsage();
  const start = performance.now();
  deadline = start + o.seconds * 1000;
  measuring = true;
  await Promise.all(
    sockets.map(
      (first) =>
        new Promise<void>((resolve) => {
          let s = first;
          let sent: number[] = []; // send times of the requests in flight, oldest first
          let reader = new ResponseReader();
          let done = false;
          const finish = () => {
            if (done) return;
            done = true;
            s.destroy();
            resolve();
          };
          const more = () => performance.now() < deadline && requests < o.maxRequests;
          const send = () => {
            requests++;
            sent.push(performance.now());
            s.write(payload());
          };
          const attach = (sock: Socket) => {
            sock.on('data', (d: Buffer) => {
              const r = reader;
              try {
                r.push(d, (status, close) => {
                  // answers after a Connection: close on the same read belong to the old connection
                  if (r !== reader) return;
                  const t = sent.shift()!;
                  if (measuring && answered < latencies.length) latencies[answered++] = performance.now() - t;
                  statuses[status] = (statuses[status] ?? 0) + 1;
                  if (status !== 200) errors++;
                  if (close) return void reconnect();
                  if (more()) send();
                  else if (sent.length === 0) finish();
                });
              } catch {
                errors += sent.length;
                finish();
              }
            });
            sock.on('error', () => {
              errors += sent.length;
              sent = [];
              finish();
            });
            sock.on('close', () => {
              if (!done && sent.length) {
                errors += sent.length;
                sent = [];
              }
              finish();
            });
          };
          // The server said it closes the connection: open another and go on.
          const reconnect = () => {
            s.removeAllListeners();
            s.destroy();
            errors += sent.length;
            sent = [];
            reader = new ResponseReader();
            if (!more()) return finish();
            s = connect({ host: o.host, port: o.port, noDelay: true }, () => {
              for (let i = 0; i < pipelining && more(); i++) send();
              if (sent.length === 0) finish();
            });
            attach(s);
          };
          // a connection the server closed since the warm-up (idle too long): open it again
          if (s.destroyed || s.readyState !== 'open') return void reconnect();
          attach(s);
          for (let i = 0; i < pipelining && more(); i++) send();
          if (sent.length === 0) finish();
        }),
    ),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    requests,
    errors,
    statuses,
    seconds,
    latencies: latencies.slice(0, answered),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/**
 * A child process of run.ts: one `LoadOptions` message in (requests as base64); the result is written
 * as JSON to the file named after `--load-child` (a large result over IPC could be cut by the exit).
 */
interface LoadMessage extends Omit<LoadOptions, 'requests'> {
  readonly requests: readonly string[];
}

const childAt = process.argv.indexOf('--load-child');
if (process.send && childAt >= 0) {
  const out = process.argv[childAt + 1];
  process.once('message', (m: LoadMessage) => {
    void runLoad({ ...m, requests: m.requests.map((r) => Buffer.from(r, 'base64')) }).then(
      (r) => {
        writeFileSync(out, JSON.stringify({ ...r, latencies: Array.from(r.latencies) }));
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`load generator failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  });
}
