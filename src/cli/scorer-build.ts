/**
 * Building predict.mjs, the standalone scorer inside a bundle: src/core/export/scorer-entry.ts and the
 * core code it imports, bundled by esbuild (which tsx and Vite bring) into one ES module with no
 * imports besides Node's fs. TensorFlow.js is replaced by a stub: only training uses it; predictions
 * are plain JavaScript.
 *
 * Node-only and light (no core imports), so that both the CLI (`buildScorerSource` in bundle-io.ts)
 * and the Vite config (`scorerPlugin`: the browser's copy as the virtual module `virtual:predict-mjs`)
 * use the very same build.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The studio's root: the nearest folder above `from` whose package.json is this package's (this
 * file is src/cli/scorer-build.ts, or a module of the compiled CLI in dist-cli/).
 */
export function findStudioRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'automl-studio') return dir;
      } catch {
        // not ours: keep looking
      }
    }
    if (dirname(dir) === dir) return resolve(from, '..', '..');
  }
}

/** This checkout's root. */
export const REPO_ROOT = findStudioRoot(dirname(fileURLToPath(import.meta.url)));

/** The id under which the browser build exposes predict.mjs (`export default` the source text). */
export const SCORER_MODULE_ID = 'virtual:predict-mjs';

let commit: string | undefined;
/** `git rev-parse HEAD` of the app's checkout, or 'unknown' (no git, not a checkout). */
export function gitCommit(root = REPO_ROOT): string {
  if (commit === undefined) {
    try {
      const out = execFileSync('git', ['rev-parse', 'HEAD'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5000,
      }).trim();
      commit = /^[0-9a-f]{40,64}$/.test(out) ? out : 'unknown';
    } catch {
      commit = 'unknown';
    }
  }
  return commit;
}

/** The comment lines at the top of predict.mjs. */
export function scorerHeader(version: string, commitId: string): string {
  return (
    `// predict.mjs — standalone scorer of an AutoML Studio model bundle (app ${version}, commit ${commitId}).\n` +
    '// Usage: node predict.mjs data.csv > predictions.csv   (Node 18 or later; no dependencies)\n' +
    '// Reads manifest.json, pipeline.json and model.json from this folder. Generated code: do not edit.\n'
  );
}

/** The bundled scorer code (without the header). */
export async function bundleScorer(root = REPO_ROOT): Promise<string> {
  const esbuild = await import('esbuild');
  const exportDir = join(root, 'src', 'core', 'export');
  const result = await esbuild.build({
    stdin: {
      contents:
        "import { runScorer } from './scorer-entry.ts';\n" +
        "process.exitCode = await runScorer(new URL('./', import.meta.url));\n",
      resolveDir: exportDir,
      sourcefile: 'predict-main.ts',
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node18',
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [
      {
        name: 'stub-tfjs',
        setup(build) {
          build.onResolve({ filter: /^@tensorflow\// }, (a) => ({ path: a.path, namespace: 'tfjs-stub' }));
          build.onLoad({ filter: /.*/, namespace: 'tfjs-stub' }, () => ({
            contents:
              'const fail = () => { throw new Error("TensorFlow.js is not part of predict.mjs (only training needs it)"); };\n' +
              'export const setWasmPaths = fail;\nexport default {};\n',
            loader: 'js',
          }));
        },
      },
    ],
  });
  return result.outputFiles[0].text;
}

/** The whole predict.mjs for this checkout: header (app version, git commit) and code. */
export async function scorerSourceFor(root = REPO_ROOT): Promise<string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return scorerHeader(pkg.version, gitCommit(root)) + (await bundleScorer(root));
}

/** The part of a Vite plugin this needs (kept structural: no Vite import in the CLI). */
export interface ScorerPlugin {
  readonly name: string;
  readonly resolveId: { filter: { id: RegExp }; handler(id: string): string | null };
  readonly load: { filter: { id: RegExp }; handler(id: string): Promise<string> | null };
}

/**
 * Vite plugin: `import source from 'virtual:predict-mjs'` gives predict.mjs as text, built once per
 * build with `scorerSourceFor`. Add it to `plugins` and to `worker.plugins` (workers import it).
 */
export function scorerPlugin(root = REPO_ROOT): ScorerPlugin {
  const resolved = '\0' + SCORER_MODULE_ID;
  let source: Promise<string> | undefined;
  return {
    name: 'automl-predict-mjs',
    resolveId: {
      filter: { id: /^virtual:predict-mjs$/ },
      handler: (id) => (id === SCORER_MODULE_ID ? resolved : null),
    },
    load: {
      filter: { id: /^\0virtual:predict-mjs$/ },
      handler(id) {
        if (id !== resolved) return null;
        source ??= scorerSourceFor(root);
        return source.then((s) => `export default ${JSON.stringify(s)};\n`);
      },
    },
  };
}
