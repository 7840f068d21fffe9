/**
 * The app boundaries of issue 19, checked over the source itself: every .ts/.tsx file under
 * contract/, server/, web/ and connectors/ (and bench/, examples/, scripts/; node_modules and dist left out) is read, its
 * import/export specifiers found with a regular expression, relative ones and our own workspace
 * packages (`@plexus/*`, through their package.json `exports`/`main`) resolved to files.
 *
 * The layers, bottom up: `contract/` (what the server and the UI share) ← `connectors/sdk`
 * (`@plexus/connector-sdk`) ← `connectors/<source>` ← `server/`; `web/` sits on `contract/` only.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// bench/, examples/ and scripts/ only so that they too import the packages by name and join the cycle check.
const scanned = ['contract', 'server', 'web', 'connectors', 'bench', 'examples', 'scripts'];

/**
 * Whole-system tooling kept in web/ that is not part of the UI bundle: the browser end-to-end
 * tests and the screenshot script start a real server (app, demo loader) next to a browser, so
 * they may import server files. The UI itself (web/src) may not.
 */
const wholeSystemTooling = ['web/e2e/', 'web/scripts/'];

const isTest = (file: string) => /\.test\.tsx?$/.test(file);

/** Every .ts/.tsx file under `dir` (repo-relative, forward slashes). */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const name of readdirSync(abs)) {
      if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
      const path = join(abs, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts'))
        out.push(relative(root, path).split('\\').join('/'));
    }
  };
  walk(join(root, dir));
  return out;
}

/** Our workspace packages: name → (subpath → repo-relative file). */
function workspacePackages(): Map<string, Map<string, string>> {
  const dirs = [
    'contract',
    'server',
    'web',
    ...readdirSync(join(root, 'connectors')).map((d) => `connectors/${d}`),
  ];
  const packages = new Map<string, Map<string, string>>();
  for (const dir of dirs) {
    const manifest = join(root, dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
      name: string;
      main?: string;
      exports?: Record<string, string>;
    };
    const entries = new Map<string, string>();
    if (pkg.main) entries.set('.', join(dir, pkg.main));
    for (const [sub, file] of Object.entries(pkg.exports ?? {})) entries.set(sub, join(dir, file));
    packages.set(pkg.name, entries);
  }
  return packages;
}

/**
 * Specifiers of static imports/exports, side-effect imports and dynamic imports with a literal,
 * in source order, each saying whether it imports types only.
 */
function specifiersOf(source: string): { spec: string; typeOnly: boolean }[] {
  // Comments may quote imports (JSDoc examples); strings rarely hold `//` at a line's start.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: { spec: string; typeOnly: boolean; at: number }[] = [];
  for (const m of code.matchAll(/\b(import|export)\s+(type\s+)?([^'";]*?)\bfrom\s*['"]([^'"]+)['"]/g)) {
    // `import type {…}`, or braces naming types only (`import { type A, type B }`): erased at run time.
    const names = /^\{([^}]*)\}\s*$/
      .exec(m[3].trim())?.[1]
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    const typeOnly =
      Boolean(m[2]) || (names !== undefined && names.length > 0 && names.every((n) => n.startsWith('type ')));
    found.push({ spec: m[4], typeOnly, at: m.index });
  }
  for (const m of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g))
    found.push({ spec: m[1], typeOnly: false, at: m.index });
  for (const m of code.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g))
    found.push({ spec: m[1], typeOnly: false, at: m.index });
  return found.sort((a, b) => a.at - b.at).map(({ spec, typeOnly }) => ({ spec, typeOnly }));
}

interface Edge {
  from: string;
  to: string;
  /** Only types cross (erased at run time): still a boundary crossing, never a run-time cycle. */
  typeOnly?: boolean;
  /** The specifier as written (`../sdk/index.ts`, `@plexus/contract`). */
  spec?: string;
}

/** Workspace packages others must import by name, not by a relative path into their folder. */
const byName: Record<string, string> = {
  contract: '@plexus/contract',
  'connectors/sdk': '@plexus/connector-sdk',
};

/** The import graph over the scanned files (edges to files outside the repo's sources left out). */
function importGraph(): { files: string[]; edges: Edge[] } {
  const packages = workspacePackages();
  // This file is left out: its own examples below hold import statements in strings.
  const self = relative(root, fileURLToPath(import.meta.url))
    .split('\\')
    .join('/');
  const files = scanned.flatMap(sourceFiles).filter((f) => f !== self);
  const edges: Edge[] = [];
  for (const from of files) {
    for (const { spec, typeOnly } of specifiersOf(readFileSync(join(root, from), 'utf8'))) {
      let to: string | undefined;
      if (spec.startsWith('.'))
        to = relative(root, resolve(root, dirname(from), spec))
          .split('\\')
          .join('/');
      else {
        const m = /^(@plexus\/[^/]+)(\/.*)?$/.exec(spec);
        const pkg = m && packages.get(m[1]);
        if (!pkg) continue; // npm packages and node: builtins
        to = pkg.get(m[2] ? `.${m[2]}` : '.');
        if (!to) throw new Error(`${from}: "${spec}" is not an entry of ${m[1]}'s package.json exports`);
      }
      edges.push({ from, to, typeOnly, spec });
    }
  }
  return { files, edges };
}

/** Why an import crosses a boundary, or null when it is allowed. */
function boundaryProblem({ from, to, spec }: Edge): string | null {
  const under = (file: string, dir: string) => file.startsWith(`${dir}/`);
  for (const [dir, name] of Object.entries(byName)) {
    if (spec?.startsWith('.') && under(to, dir) && !under(from, dir))
      return `import ${name} by its name (its package.json exports), not by a path into ${dir}/`;
  }
  if (under(from, 'contract') && !under(to, 'contract'))
    return 'contract/ is the bottom layer: it may import only files under contract/ (and npm packages)';
  if (under(from, 'web') && (under(to, 'server') || under(to, 'connectors'))) {
    if (wholeSystemTooling.some((dir) => from.startsWith(dir))) return null;
    return `the UI may not import ${under(to, 'server') ? 'server' : 'connector'} files: move what it shares with them to contract/ and import @plexus/contract`;
  }
  if (under(from, 'connectors') && under(to, 'server')) {
    return isTest(from)
      ? "a connector test may not import server files: start a Plexus with startPlexus() of @plexus/connector-sdk/testing (the integration project's setup provides it) and check the graph with its cypher()"
      : 'connectors may not import server files: shared shapes belong in contract/, shared connector code in connectors/sdk';
  }
  return null;
}

/** One import cycle among `files` (a path whose first and last file are the same), or null. */
function findCycle(files: string[], edges: Edge[]): string[] | null {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) if (next.has(e.from) && next.has(e.to)) next.get(e.from)!.push(e.to);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    state.set(file, 'open');
    stack.push(file);
    for (const to of next.get(file)!) {
      if (state.get(to) === 'open') return [...stack.slice(stack.indexOf(to)), to];
      if (!state.has(to)) {
        const cycle = visit(to);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(file, 'done');
    return null;
  };
  for (const f of files) {
    if (state.has(f)) continue;
    const cycle = visit(f);
    if (cycle) return cycle;
  }
  return null;
}

describe('import boundaries between contract/, server/, web/ and connectors/', () => {
  const { files, edges } = importGraph();

  it('finds the sources and resolves their imports', () => {
    expect(files.length).toBeGreaterThan(300);
    const missing = edges.filter((e) => !existsSync(join(root, e.to))).map((e) => `${e.from} → ${e.to}`);
    expect(missing, 'imports of files that do not exist').toEqual([]);
    // The check would pass vacuously if the package names did not resolve.
    expect(
      edges.some((e) => e.from === 'server/src/catalog/catalog.ts' && e.to === 'contract/index.ts'),
    ).toBe(true);
  });

  it('no import crosses a boundary: web ↛ server/connectors, connectors ↛ server, contract ↛ anything; packages by name', () => {
    const problems = edges.flatMap((e) => {
      const why = boundaryProblem(e);
      return why ? [`${e.from} imports ${e.to}: ${why}`] : [];
    });
    expect(problems, `imports across the app boundaries:\n${problems.join('\n')}\n`).toEqual([]);
  });

  it('there is no run-time import cycle among the non-test files', () => {
    // Type-only imports are erased when the code runs; a cycle of them cannot half-initialise a module.
    const cycle = findCycle(
      files.filter((f) => !isTest(f)),
      edges.filter((e) => !e.typeOnly),
    );
    expect(cycle && `import cycle: ${cycle.join(' → ')}`).toBeNull();
  });
});

describe('the checks themselves', () => {
  it('read import, export, side-effect and dynamic specifiers, not commented ones', () => {
    const source = [
      "import { a } from './a.ts';",
      "import type {\n  B,\n} from '../b.ts';",
      "export * from '@plexus/contract';",
      "import './side-effect.ts';",
      "const m = await import('./lazy.ts');",
      "// import { c } from './commented.ts';",
      "/** @example import { d } from './example.ts'; */",
    ].join('\n');
    expect(specifiersOf(source)).toEqual([
      { spec: './a.ts', typeOnly: false },
      { spec: '../b.ts', typeOnly: true },
      { spec: '@plexus/contract', typeOnly: false },
      { spec: './side-effect.ts', typeOnly: false },
      { spec: './lazy.ts', typeOnly: false },
    ]);
    expect(specifiersOf("import { type A, type B } from './types.ts';")).toEqual([
      { spec: './types.ts', typeOnly: true },
    ]);
    expect(specifiersOf("import { type A, b } from './mixed.ts';")).toEqual([
      { spec: './mixed.ts', typeOnly: false },
    ]);
  });

  it('flag the imports the boundaries forbid and let the allowed ones through', () => {
    expect(boundaryProblem({ from: 'web/src/api/x.ts', to: 'server/src/model/y.ts' })).toMatch(/UI may not/);
    expect(boundaryProblem({ from: 'web/src/x.int.test.ts', to: 'server/src/test-support.ts' })).toMatch(/UI may not/);
    expect(boundaryProblem({ from: 'web/e2e/x.int.test.ts', to: 'server/src/test-support.ts' })).toBeNull();
    expect(boundaryProblem({ from: 'connectors/github/connector.ts', to: 'server/src/x.ts' })).toMatch(
      /connectors may not/,
    );
    expect(
      boundaryProblem({ from: 'connectors/github/connector.int.test.ts', to: 'server/src/test-support.ts' }),
    ).toMatch(/startPlexus\(\) of @plexus\/connector-sdk\/testing/);
    expect(boundaryProblem({ from: 'contract/names.ts', to: 'server/src/x.ts' })).toMatch(/bottom layer/);
    expect(
      boundaryProblem({
        from: 'server/src/x.ts',
        to: 'connectors/sdk/index.ts',
        spec: '@plexus/connector-sdk',
      }),
    ).toBeNull();
    expect(
      boundaryProblem({
        from: 'server/src/x.ts',
        to: 'connectors/sdk/index.ts',
        spec: '../../connectors/sdk/index.ts',
      }),
    ).toMatch(/by its name/);
    expect(
      boundaryProblem({
        from: 'connectors/sdk/mapping.ts',
        to: 'connectors/sdk/contract.ts',
        spec: './contract.ts',
      }),
    ).toBeNull();
  });

  it('find a cycle and name its path', () => {
    const edges = [
      { from: 'a.ts', to: 'b.ts' },
      { from: 'b.ts', to: 'c.ts' },
      { from: 'c.ts', to: 'a.ts' },
    ];
    expect(findCycle(['a.ts', 'b.ts', 'c.ts'], edges)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    expect(findCycle(['a.ts', 'b.ts', 'c.ts'], edges.slice(0, 2))).toBeNull();
  });
});
