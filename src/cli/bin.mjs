#!/usr/bin/env node
// The installed command `automl-studio` (package.json "bin"): runs the ahead-of-time build of the
// CLI in dist-cli/, made by `npm run build:cli` (run by `npm ci` / `npm install` as `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../../dist-cli/main.mjs', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(
    `error: the CLI is not built (${fileURLToPath(main)} is missing): run \`npm run build:cli\` in ` +
      `${fileURLToPath(new URL('../..', import.meta.url))}, or use \`npm run cli -- …\`\n`,
  );
  process.exit(2);
}
await import(main.href);
