import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderPlan } from './apply.ts';
import { CliError, exitCodes } from './client.ts';
import { readResources } from './files.ts';
import { renderProgress } from './progress.ts';

const dir = mkdtempSync(join(tmpdir(), 'plexus-cli-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plexus apply files', () => {
  it('reads kind documents and blueprints/entities/sources lists from a folder, in name order', () => {
    writeFileSync(
      join(dir, 'b.yaml'),
      'kind: Entity\nblueprint: svc\nidentifier: cart\n---\nkind: source\nidentifier: s1\ntype: http-json\n',
    );
    writeFileSync(
      join(dir, 'a.yml'),
      'blueprints:\n  - {identifier: svc, title: Service}\nentities:\n  - {blueprint: svc, identifier: search}\n',
    );
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const got = readResources([dir]);
    expect(got.map((r) => `${r.kind}:${r.body.identifier}`)).toEqual([
      'blueprint:svc',
      'entity:search',
      'entity:cart',
      'source:s1',
    ]);
    expect(got[2].origin).toBe(`${join(dir, 'b.yaml')}#1`);
  });

  it('refuses unknown kinds and broken YAML with a usage error naming the document', () => {
    const bad = join(dir, 'bad', 'x.yaml');
    rmSync(join(dir, 'bad'), { recursive: true, force: true });
    mkdirSync(join(dir, 'bad'));
    writeFileSync(bad, 'kind: Widget\n---\nkey: [unclosed\n');
    try {
      readResources([bad]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(exitCodes.usage);
      expect((err as CliError).message).toContain(
        `${bad}#1: kind must be Blueprint, Entity, Source, Scorecard or Action`,
      );
      expect((err as CliError).message).toContain(`${bad}#2: invalid YAML`);
    }
  });

  it('renders a plan and a progress line', () => {
    expect(
      renderPlan([
        { action: 'create', kind: 'entity', name: 'svc/a' },
        { action: 'delete', kind: 'source', name: 's1' },
        { action: 'unchanged', kind: 'blueprint', name: 'svc' },
      ]),
    ).toBe(
      '  + create entity svc/a\n  - delete source s1\nPlan: 1 to create, 0 to update, 1 to delete, 1 unchanged.',
    );
    expect(
      renderProgress(
        { status: 'running', records: 50, created: 5, updated: 1, deleted: 0, errors: 0, rate: 25 },
        100,
        10,
      ),
    ).toBe('[#####-----]  50% 50 records, 5 created, 1 updated, 0 deleted, 0 errors, 25/s');
  });
});
