import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A user who clones the repository must be able to open every file its documentation links to.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The repository's Markdown files: git's list when there is one, else a walk without node_modules. */
function markdownFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean)
      .filter((f) => existsSync(join(root, f)));
  } catch {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
        if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
        const path = dir ? `${dir}/${e.name}` : e.name;
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith('.md')) out.push(path);
      }
    };
    walk('');
    return out;
  }
}

/** Link targets of a Markdown text: `[text](target)` and `![alt](target)`, outside code blocks. */
function linkTargets(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, (m) => (m.includes('](') ? '' : m));
  return [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
}

/** What is wrong with one link of `file`, or null when it is fine. */
function checkLink(file: string, target: string, exists: (path: string) => boolean): string | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) return null; // URLs, mailto:, anchors
  if (target.startsWith('/')) return `${file}: "${target}" is an absolute path; link relative to the file`;
  const path = target.split('#')[0].split('?')[0];
  const resolved = join(dirname(file), decodeURIComponent(path));
  if (resolved.startsWith('..'))
    return `${file}: "${target}" points outside the repository; put the document under docs/ and link to it there`;
  if (!exists(resolved)) return `${file}: "${target}" does not exist (resolved to ${resolved})`;
  return null;
}

describe('documentation links', () => {
  it('finds links, and tells good ones from bad', () => {
    expect(
      linkTargets(
        'See [the API](docs/api.md) and ![x](a.png "t"), not `[code](../x.md)`.\n```\n[no](../y.md)\n```',
      ),
    ).toEqual(['docs/api.md', 'a.png']);
    const exists = (p: string) => ['docs/api.md', 'README.md'].includes(p);
    expect(checkLink('README.md', 'docs/api.md#graphql', exists)).toBeNull();
    expect(checkLink('docs/api.md', '../README.md', exists)).toBeNull();
    expect(checkLink('README.md', 'https://neo4j.com', exists)).toBeNull();
    expect(checkLink('README.md', '../shared/API.md', exists)).toMatch(/outside the repository/);
    expect(checkLink('README.md', '/work/shared/API.md', exists)).toMatch(/absolute path/);
    expect(checkLink('README.md', 'docs/missing.md', exists)).toMatch(/does not exist/);
  });

  it('every Markdown file of the repository links only to files inside it that exist', () => {
    const files = markdownFiles();
    expect(files).toContain('README.md');
    const problems = files.flatMap((file) =>
      linkTargets(readFileSync(join(root, file), 'utf8'))
        .map((target) => checkLink(file, target, (p) => existsSync(join(root, p))))
        .filter((p): p is string => p !== null),
    );
    expect(problems).toEqual([]);
  });

  it('the README links to the architecture, API, conventions and operations documents', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const doc of ['docs/architecture.md', 'docs/api.md', 'docs/conventions.md', 'docs/operations.md']) {
      expect(
        linkTargets(readme).map((t) => t.split('#')[0]),
        doc,
      ).toContain(doc);
      expect(existsSync(join(root, doc)), doc).toBe(true);
    }
  });
});
