/**
 * Speed of the GLM solver (src/core/models/glm) against scikit-learn on the same standardised design
 * and the same objective: binary 100,000 × 50 and softmax 10,000 × 30 × 10 classes, ridge (l2 'auto',
 * scikit-learn lbfgs) and elastic net (scikit-learn saga). Prints fit seconds, iterations and both
 * solutions' objective values (the studio's objective, evaluated by our code on both).
 *
 *   nice -n 19 npx tsx bench/glm/run.ts [--python /usr/bin/python3] [--sklearn-tol 1e-8]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { uptime, loadavg } from 'node:os';
import { fitGlm, glmProblem, GlmObjective, resolvePenalties } from '../../src/core/models/glm/index.ts';
import { matrixFromColumns, type Task } from '../../src/core/models/types.ts';
import { createRng } from '../../src/core/util/random.ts';

const { values } = parseArgs({
  options: {
    python: { type: 'string', default: '/usr/bin/python3' },
    'sklearn-tol': { type: 'string', default: '1e-8' },
  },
});
const root = resolve(import.meta.dirname, '..', '..');
const out = resolve(root, '.bench-out', 'glm');
mkdirSync(out, { recursive: true });

function data(task: Task, n: number, p: number, K: number, seed: number) {
  const rng = createRng(seed);
  const cols = Array.from({ length: p }, () => new Float64Array(n));
  const nOut = task === 'binary' ? 1 : K;
  const beta = Float64Array.from({ length: p * nOut }, () => (rng.next() < 0.5 ? 0 : rng.normal()));
  const y = new Float64Array(n);
  const z = new Float64Array(nOut);
  for (let i = 0; i < n; i++) {
    z.fill(0);
    for (let j = 0; j < p; j++) {
      const v = rng.normal();
      cols[j][i] = (1 + (j % 5)) * v + j; // different scales and offsets: the fit standardises
      for (let k = 0; k < nOut; k++) z[k] += 0.5 * beta[j * nOut + k] * v;
    }
    if (task === 'binary') y[i] = z[0] + rng.normal() > 0 ? 1 : 0;
    else {
      let best = 0;
      for (let k = 0; k < K; k++) if ((z[k] += 0.7 * rng.normal()) > z[best]) best = k;
      y[i] = best;
    }
  }
  return { X: matrixFromColumns(cols), y, nClasses: task === 'binary' ? 2 : K };
}

const cases = [
  {
    name: 'binary 100000×50, l2 auto',
    task: 'binary' as Task,
    n: 100_000,
    p: 50,
    K: 2,
    l2: 'auto' as const,
    l1: 0,
  },
  {
    name: 'binary 100000×50, l1 1e-3 + l2 1e-4',
    task: 'binary' as Task,
    n: 100_000,
    p: 50,
    K: 2,
    l2: 1e-4,
    l1: 1e-3,
  },
  {
    name: 'softmax 10000×30×10, l2 auto',
    task: 'multiclass' as Task,
    n: 10_000,
    p: 30,
    K: 10,
    l2: 'auto' as const,
    l1: 0,
  },
  {
    name: 'softmax 10000×30×10, l1 1e-3 + l2 1e-4',
    task: 'multiclass' as Task,
    n: 10_000,
    p: 30,
    K: 10,
    l2: 1e-4,
    l1: 1e-3,
  },
];

console.log(
  `load average before: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')} (up ${Math.round(uptime() / 60)} min)`,
);
console.log(
  '| case | ours s | ours it (passes) | sklearn s | sklearn it | ratio ours/sk | objective ours | objective sklearn |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const c of cases) {
  const d = data(c.task, c.n, c.p, c.K, 42);
  const opts = { task: c.task, nClasses: d.nClasses, l2: c.l2, l1: c.l1 };
  const t0 = performance.now();
  const fit = fitGlm(d.X, d.y, opts);
  const ours = (performance.now() - t0) / 1000;
  const { problem } = glmProblem(d.X, d.y, opts);
  const { l1, l2 } = resolvePenalties(c.l2, c.l1, c.n);
  const xFile = join(out, 'X.f64');
  const yFile = join(out, 'y.f64');
  const specFile = join(out, 'spec.json');
  writeFileSync(xFile, new Uint8Array(problem.X.buffer));
  writeFileSync(yFile, new Uint8Array(problem.y.buffer, problem.y.byteOffset, problem.y.byteLength));
  writeFileSync(
    specFile,
    JSON.stringify({ n: c.n, p: c.p, kind: problem.loss, l1, l2, tol: Number(values['sklearn-tol']) }),
  );
  const sk = JSON.parse(
    execFileSync(values.python, [join(root, 'bench/glm/sklearn_time.py'), specFile, xFile, yFile], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    }),
  ) as { seconds: number; n_iter: number; coef: number[][]; intercept: number[] };
  const K = problem.nOutputs;
  const theta = new Float64Array(c.p * K + K);
  for (let j = 0; j < c.p; j++) for (let k = 0; k < K; k++) theta[j * K + k] = sk.coef[k][j];
  for (let k = 0; k < K; k++) theta[c.p * K + k] = sk.intercept[k];
  const skObjective = new GlmObjective(problem, l2).objective(theta, l1);
  console.log(
    `| ${c.name} | ${ours.toFixed(2)} | ${fit.iterations} (${fit.evaluations}) | ${sk.seconds.toFixed(2)} | ${sk.n_iter} | ${(ours / sk.seconds).toFixed(2)} | ${fit.objective.toPrecision(12)} | ${skObjective.toPrecision(12)} |`,
  );
}
console.log(
  `load average after: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
