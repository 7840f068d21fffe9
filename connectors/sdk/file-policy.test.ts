import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFilePolicy, FileRefusedError, parseErrorWithoutContent } from './file-policy.ts';

const scratch = mkdtempSync(join(tmpdir(), 'plexus-file-policy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A server root holding a source folder, a sibling folder outside it, and a data directory. */
function layout() {
  const root = mkdtempSync(join(scratch, 'root-'));
  const source = join(root, 'catalog');
  const outside = join(root, 'elsewhere');
  const data = join(root, '.data');
  mkdirSync(source);
  mkdirSync(outside);
  mkdirSync(data);
  writeFileSync(join(source, 'api.yaml'), 'openapi: 3.0.0');
  writeFileSync(join(outside, 'secret.txt'), 'TOP-SECRET-CONTENT');
  writeFileSync(join(data, 'token'), 'TOP-SECRET-TOKEN');
  const policy = createFilePolicy({ allowedRoots: [root], deniedRoots: [data], maxPlaceholderBytes: 64 });
  return { root, source, outside, data, policy };
}

describe('file policy', () => {
  it('reads a file inside the source root', async () => {
    const { source, policy } = layout();
    const scope = policy.scope([source]);
    expect(await scope.readText('api.yaml', { from: source })).toBe('openapi: 3.0.0');
  });

  it('refuses ../ out of the source root, without quoting the file', async () => {
    const { source, policy } = layout();
    const scope = policy.scope([source]);
    const error = await scope.readText('../elsewhere/secret.txt', { from: source }).catch((e) => e);
    expect(error).toBeInstanceOf(FileRefusedError);
    expect(error.message).toMatch(
      /refused \.\.\/elsewhere\/secret\.txt: it resolves outside the source's roots/,
    );
    expect(error.message).not.toContain('TOP-SECRET');
  });

  it('refuses a symlink inside the root that points outside it', async () => {
    const { source, outside, policy } = layout();
    symlinkSync(join(outside, 'secret.txt'), join(source, 'innocent.yaml'));
    symlinkSync(outside, join(source, 'linked-dir'));
    const scope = policy.scope([source]);
    await expect(scope.readText('innocent.yaml', { from: source })).rejects.toThrow(/through a symlink/);
    await expect(scope.readText('linked-dir/secret.txt', { from: source })).rejects.toThrow(
      /through a symlink/,
    );
    await expect(scope.readdir(join(source, 'linked-dir'))).rejects.toThrow(/outside the source's roots/);
  });

  it('never reads /proc, /sys, /etc or the data directory, even when a root contains them', async () => {
    const { data, policy } = layout();
    const everything = createFilePolicy({ allowedRoots: ['/'], deniedRoots: [data] });
    const scope = everything.scope(['/']);
    await expect(scope.readText('/proc/self/environ')).rejects.toThrow(/\/proc is never readable/);
    await expect(scope.readText('/etc/passwd')).rejects.toThrow(/\/etc is never readable/);
    await expect(scope.readText('/sys/kernel/hostname')).rejects.toThrow(/\/sys is never readable/);
    await expect(scope.readText(join(data, 'token'))).rejects.toThrow(/never readable/);
    await expect(policy.scope([data]).readText(join(data, 'token'))).rejects.toThrow(/never readable/);
  });

  it('refuses a symlink that leads into a denied folder', async () => {
    const { source, policy } = layout();
    symlinkSync('/proc/self/environ', join(source, 'env.txt'));
    const error = await policy
      .scope([source])
      .readText('env.txt', { from: source })
      .catch((e) => e);
    expect(error.message).toMatch(/resolves under \/proc, which is never readable/);
  });

  it('caps the size of a read, however the file reports its size', async () => {
    const { source, policy } = layout();
    writeFileSync(join(source, 'big.txt'), 'y'.repeat(65));
    const scope = policy.scope([source]);
    await expect(scope.readText('big.txt', { from: source, maxBytes: 64 })).rejects.toThrow(
      /big\.txt is 65 bytes, more than the 64 allowed/,
    );
    expect(await scope.readText('big.txt', { from: source, maxBytes: 65 })).toHaveLength(65);
  });

  it('checks configured paths against the allowed roots and the denied ones', () => {
    const { root, data, policy } = layout();
    expect(policy.checkConfiguredPath('catalog', root)).toBeNull();
    expect(policy.checkConfiguredPath('/etc', root)).toMatch(/\/etc is under \/etc, which is never readable/);
    expect(policy.checkConfiguredPath('../..', root)).toMatch(
      /outside the allowed file roots \(PLEXUS_FILE_ROOTS: /,
    );
    expect(policy.checkConfiguredPath(data, root)).toMatch(/never readable/);
  });

  it('scopes a source to its own roots: a root outside the allowed ones admits nothing', async () => {
    const { root, outside, policy } = layout();
    const narrow = createFilePolicy({ allowedRoots: [join(root, 'catalog')] });
    await expect(narrow.scope([outside]).readText(join(outside, 'secret.txt'))).rejects.toThrow(
      /outside the allowed file roots/,
    );
    // Checkouts the connector made itself are trusted roots.
    expect(await policy.scope([], { trusted: [outside] }).readText(join(outside, 'secret.txt'))).toBe(
      'TOP-SECRET-CONTENT',
    );
  });

  it('a file root admits the folder it is in', async () => {
    const { source, policy } = layout();
    writeFileSync(join(source, 'catalog-info.yaml'), 'kind: Location');
    const scope = policy.scope([join(source, 'catalog-info.yaml')]);
    expect(await scope.readText('api.yaml', { from: source })).toBe('openapi: 3.0.0');
  });

  it('describes parse errors without the text they quote', () => {
    let jsonError: unknown;
    try {
      JSON.parse('PLEXUS_ADMIN_TOKEN=abc');
    } catch (e) {
      jsonError = e;
    }
    expect(parseErrorWithoutContent(jsonError, 'JSON')).not.toContain('PLEXUS');
    const yamlError = Object.assign(
      new Error('Nested mappings are not allowed at line 2, column 3:\n\nSECRET: x\n^'),
      {
        code: 'BAD_INDENT',
      },
    );
    expect(parseErrorWithoutContent(yamlError, 'YAML')).toBe(
      'not valid YAML (BAD_INDENT) at line 2, column 3',
    );
  });
});
