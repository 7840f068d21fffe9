import type { Blueprint } from '@plexus/contract';
import { describe, expect, it } from 'vitest';
import { createInvokers } from './invokers/index.ts';
import { validateAction } from './validate-action.ts';

const model = new Map<string, Blueprint>([
  [
    'service',
    { identifier: 'service', title: 'Service', schema: { properties: { tier: { type: 'integer' } } } },
  ],
]);
const invokers = createInvokers({ catalog: {} as never, access: {} as never });
const valid = {
  identifier: 'roll-back',
  title: 'Roll back',
  blueprint: 'service',
  operation: 'DAY-2',
  condition: { rules: [{ property: 'tier', operator: '<=', value: 2 }] },
  inputs: {
    properties: {
      version: { type: 'string', pattern: '^v\\d+' },
      env: { type: 'string', enum: { jsonata: "['a']" } },
    },
    required: ['version'],
    steps: [{ title: 'All', properties: ['version', 'env'] }],
  },
  invoker: {
    type: 'webhook',
    url: 'https://deployer.example.com/hook',
    secret: 'a-long-enough-signing-secret',
    headers: { 'x-env': { jsonata: 'entity.identifier' } },
  },
  approval: { required: true, type: 'ALL', approvers: { teams: ['sre'], owners: true } },
  permissions: { execute: { roles: ['member'] }, approve: { users: ['ada'] } },
  timeoutMs: 60_000,
};
const paths = (input: unknown) => validateAction(input, model, invokers).map((d) => d.path);

describe('validateAction', () => {
  it('accepts a complete definition', () => {
    expect(validateAction(valid, model, invokers)).toEqual([]);
  });

  it('needs a blueprint for DAY-2 and DELETE, and no condition on CREATE', () => {
    expect(paths({ ...valid, blueprint: undefined, condition: undefined })).toEqual(['/blueprint']);
    expect(paths({ ...valid, operation: 'CREATE' })).toEqual(['/condition']);
  });

  it('checks condition rules against the blueprint', () => {
    expect(
      paths({ ...valid, condition: { rules: [{ property: 'tier', operator: '=', value: 'high' }] } }),
    ).toEqual(['/condition/rules/0/value']);
  });

  it('checks the inputs schema', () => {
    expect(paths({ ...valid, inputs: { properties: { 'bad name': { type: 'string' } } } })).toEqual([
      '/inputs/properties/bad name',
    ]);
    expect(paths({ ...valid, inputs: { properties: { a: { type: 'string', pattern: '(' } } } })).toEqual([
      '/inputs/properties/a/pattern',
    ]);
    expect(paths({ ...valid, inputs: { properties: { a: { type: 'string', format: 'entity' } } } })).toEqual([
      '/inputs/properties/a/blueprint',
    ]);
    expect(
      paths({
        ...valid,
        inputs: {
          properties: { a: { type: 'string' }, b: { type: 'string' } },
          steps: [{ title: 'One', properties: ['a'] }],
        },
      }),
    ).toEqual(['/inputs/steps']);
  });

  it('checks the invoker with its own module', () => {
    expect(paths({ ...valid, invoker: { type: 'carrier-pigeon' } })).toEqual(['/invoker/type']);
    expect(
      paths({
        ...valid,
        invoker: {
          type: 'webhook',
          url: 'https://user:pw@x.example.com',
          headers: { 'x-plexus-signature': 'forged' },
        },
      }),
    ).toEqual(['/invoker/url', '/invoker/headers/x-plexus-signature']);
    expect(paths({ ...valid, invoker: { type: 'upsert-entity', mapping: { jsonata: '{' } } })).toEqual([
      '/invoker/mapping',
    ]);
  });

  it('checks approval and permission shapes', () => {
    expect(paths({ ...valid, approval: { required: 'yes' } })).toEqual(['/approval']);
    expect(paths({ ...valid, approval: { required: true, approvers: { teams: 'sre' } } })).toEqual([
      '/approval/approvers/teams',
    ]);
    expect(paths({ ...valid, permissions: { run: {} } })).toEqual(['/permissions/run']);
  });
});
