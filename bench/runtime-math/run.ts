/**
 * How often the engine's Math functions give other bits in Node than in the system Chromium, on the
 * arguments our replay and search paths use (bench/runtime-math/cases.ts), and the same for the
 * portable functions of src/core/util/portable-math.ts (which must never differ), with their largest
 * distance from the engine's Math in ulps.
 *
 *   nice -n 19 npx tsx bench/runtime-math/run.ts [--only 0,3,7]
 */
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { resolve } from 'node:path';
import { findChromium } from '../../test/e2e/global-setup.ts';
import { CASES, runCases } from './cases.ts';

const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1].split(',').map(Number) : undefined;

const bundle = await build({
  entryPoints: [resolve(import.meta.dirname, 'cases.ts')],
  bundle: true,
  format: 'iife',
  globalName: 'RuntimeMath',
  write: false,
  target: 'es2022',
});
const code = bundle.outputFiles[0].text;

const browser = await chromium.launch({
  executablePath: findChromium(),
  headless: true,
  args: ['--no-sandbox'],
});
let inBrowser: { engine: string[]; portable: (string | null)[]; ua: string };
try {
  const page = await browser.newPage();
  await page.addScriptTag({ content: code });
  inBrowser = await page.evaluate(
    (o) => ({
      ...(globalThis as unknown as { RuntimeMath: { runCases: typeof runCases } }).RuntimeMath.runCases(
        o ?? undefined,
      ),
      ua: navigator.userAgent,
    }),
    only ?? null,
  );
} finally {
  await browser.close();
}
const inNode = runCases(only);

const f64 = (s: string) => {
  const b = Buffer.from(s, 'base64');
  return new Float64Array(b.buffer, b.byteOffset, b.length / 8);
};
/** Distance in ulps (doubles as ordered integers). */
function ulps(a: number, b: number): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  const v = new Float64Array([a, b]);
  const i = new BigInt64Array(v.buffer);
  const ord = (x: bigint) => (x < 0n ? -(x & 0x7fffffffffffffffn) : x);
  const d = ord(i[0]) - ord(i[1]);
  return Number(d < 0n ? -d : d);
}

console.log(`node ${process.version}; chromium: ${inBrowser.ua}`);
console.log(
  '| case | args | Math: Node ≠ Chromium | portable: Node ≠ Chromium | portable vs Node Math: ≠, max ulp | portable vs Chromium Math: ≠, max ulp |',
);
console.log('|---|---|---|---|---|---|');
let bad = 0;
CASES.forEach((c, k) => {
  if (only && !only.includes(k)) return;
  const en = f64(inNode.engine[k]);
  const eb = f64(inBrowser.engine[k]);
  let diff = 0;
  for (let i = 0; i < en.length; i++) if (!Object.is(en[i], eb[i])) diff++;
  const pct = (d: number) => `${d} (${((100 * d) / en.length).toFixed(3)}%)`;
  let pcol = '—';
  let vsN = '—';
  let vsB = '—';
  if (inNode.portable[k] !== null) {
    const pn = f64(inNode.portable[k]!);
    const pb = f64(inBrowser.portable[k]!);
    let pd = 0;
    let dn = 0;
    let db = 0;
    let mn = 0;
    let mb = 0;
    for (let i = 0; i < pn.length; i++) {
      if (!Object.is(pn[i], pb[i])) pd++;
      const un = ulps(pn[i], en[i]);
      const ub = ulps(pn[i], eb[i]);
      if (un) dn++;
      if (ub) db++;
      mn = Math.max(mn, un);
      mb = Math.max(mb, ub);
    }
    bad += pd;
    pcol = String(pd);
    vsN = `${pct(dn)}, ${mn}`;
    vsB = `${pct(db)}, ${mb}`;
  }
  console.log(`| ${c.name} | ${en.length} | ${pct(diff)} | ${pcol} | ${vsN} | ${vsB} |`);
});
if (bad) {
  console.log(`portable functions differ between the runtimes on ${bad} arguments`);
  process.exitCode = 1;
}
