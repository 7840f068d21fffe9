// `npm start` runs this first: builds the web UI when web/dist is missing or older than any
// file under web/src or contract/ (or the build config), so a fresh clone or a pulled change serves the
// current UI. `npm test` runs it with --strict (a failed build fails the run), so an unchanged UI is
// not rebuilt for every test run. Plain JavaScript: it runs before tsx.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(web, 'dist', 'index.html');

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

if (process.env.PLEXUS_SKIP_WEB_BUILD === '1') process.exit(0);
// The UI bundles @plexus/contract (../contract) too: a change there makes the build stale as well.
const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json', '../contract']
  .map((p) => join(web, p))
  .filter(existsSync);
const stale = !existsSync(built) || Math.max(...sources.map(newest)) > statSync(built).mtimeMs;
if (stale) {
  process.stderr.write('plexus: building the web UI (web/dist is missing or older than web/src)...\n');
  try {
    execSync('npm run build --workspace web', { stdio: 'inherit', cwd: join(web, '..') });
  } catch {
    if (process.argv.includes('--strict')) {
      process.stderr.write('plexus: the web UI build failed\n');
      process.exit(1);
    }
    // The API still works without the UI; say so rather than refusing to start.
    process.stderr.write('plexus: the web UI build failed; starting the API without it\n');
  }
}
