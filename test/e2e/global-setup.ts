/**
 * E2E global setup: finds a Chromium, serves the built app (dist/) with `vite preview` on a free
 * port, and provides both to the tests. Fails (never skips) when no browser is installed.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { preview, type PreviewServer } from 'vite';
import type { TestProject } from 'vitest/node';
import { REPO_ROOT } from '../helpers/paths.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    chromiumPath: string;
  }
}

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/opt/google/chrome/chrome',
];

export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new Error(
      `CHROMIUM_PATH is set to ${fromEnv}, but no file exists there: point it at a Chromium or Chrome ` +
        'executable, or unset it and install Chromium (`apt-get install -y chromium` on Debian/Ubuntu).',
    );
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  throw new Error(
    'The end-to-end tests need Chromium and none was found (looked in CHROMIUM_PATH, ' +
      `${CANDIDATES.join(', ')}). Install one with \`apt-get install -y chromium\` (Debian/Ubuntu) ` +
      'or set CHROMIUM_PATH to a Chromium or Chrome executable.',
  );
}

let server: PreviewServer | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const chromiumPath = findChromium();
  // E2E_DIST_DIR serves another build (e.g. one made with a different config); default: dist/.
  const dist = resolve(REPO_ROOT, process.env.E2E_DIST_DIR ?? 'dist');
  if (!existsSync(resolve(dist, 'index.html'))) {
    throw new Error(
      `No built app in ${dist}: run \`npm run test:e2e\` (it builds first) or \`npx vite build\`.`,
    );
  }
  server = await preview({
    root: REPO_ROOT,
    configFile: resolve(REPO_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: dist },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview started but reported no local URL');
  project.provide('baseUrl', url);
  project.provide('chromiumPath', chromiumPath);
  return async () => {
    await server?.close();
    server = undefined;
  };
}
