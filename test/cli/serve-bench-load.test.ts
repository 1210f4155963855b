/**
 * The serve benchmark's load generator (bench/serve/load.ts): its HTTP response reader finds every
 * response however the bytes are cut, and a run against a real node:http server counts each request
 * once, with its status, also when the server closes connections or pipelining is on.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ResponseReader, postRequest, runLoad } from '../../bench/serve/load.ts';

describe('ResponseReader', () => {
  it('reads each response once, with its status and Connection: close, whatever the chunking', () => {
    const response = fc.record({
      status: fc.constantFrom(200, 400, 413, 503),
      body: fc.string({ maxLength: 60 }),
      close: fc.boolean(),
      upper: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(response, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
        (rs, cuts) => {
          const bytes = Buffer.concat(
            rs.map((r) => {
              const body = Buffer.from(r.body);
              const cl = r.upper ? 'Content-Length' : 'content-length';
              return Buffer.concat([
                Buffer.from(
                  `HTTP/1.1 ${r.status} X\r\ncontent-type: application/json\r\n${cl}: ${body.length}\r\n` +
                    (r.close ? 'Connection: close\r\n' : '') +
                    '\r\n',
                ),
                body,
              ]);
            }),
          );
          const reader = new ResponseReader();
          const seen: [number, boolean][] = [];
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const n = cuts[i % cuts.length];
            reader.push(bytes.subarray(at, at + n), (s, c) => seen.push([s, c]));
            at += n;
          }
          expect(seen).toEqual(rs.map((r) => [r.status, r.close]));
        },
      ),
    );
  });

  it('refuses a response without Content-Length', () => {
    const reader = new ResponseReader();
    expect(() => reader.push(Buffer.from('HTTP/1.1 200 OK\r\nx: y\r\n\r\nabc'), () => {})).toThrow(
      /without Content-Length/,
    );
  });
});

describe('runLoad', () => {
  it('counts every request once against a real server, through closed connections and pipelining', async () => {
    let seen = 0;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen++;
        const body = Buffer.concat(chunks).toString();
        // every 7th request: a 400 and the connection closed after it
        const bad = seen % 7 === 0;
        res.writeHead(bad ? 400 : 200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(bad ? { connection: 'close' } : {}),
        });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const requests = [1, 2, 3].map((i) =>
        postRequest('127.0.0.1', port, '/invocations', 'application/json', Buffer.from(`{"i":${i}}`)),
      );
      for (const pipelining of [1, 3]) {
        const before = seen;
        const r = await runLoad({
          host: '127.0.0.1',
          port,
          requests,
          connections: 4,
          pipelining,
          seconds: 30,
          maxRequests: 300,
          warmup: 1,
        });
        expect(r.requests).toBe(300);
        // each request sent was answered (or counted an error when its connection closed under it)
        const answered = Object.values(r.statuses).reduce((a, b) => a + b, 0);
        expect(r.latencies.length).toBe(answered);
        expect(answered + (r.errors - (r.statuses['400'] ?? 0))).toBe(300);
        expect(r.statuses['400']).toBeGreaterThan(0);
        expect(r.statuses['200']).toBeGreaterThan(0);
        // the server saw the measured requests plus the warm-up (1 per connection)
        expect(seen - before).toBeGreaterThanOrEqual(answered + 4);
        expect(r.cpuSeconds).toBeGreaterThan(0);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 60_000);
});
