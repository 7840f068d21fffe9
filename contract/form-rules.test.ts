import { describe, expect, it } from 'vitest';
import type { ActionInputs } from './actions.ts';
import {
  checkExpression,
  evaluateForm,
  inputOrder,
  resolveInputs,
  secretInputNames,
  validateInputs,
} from './form-rules.ts';

const user = { id: 'ada', name: 'Ada', role: 'member', teams: ['payments'] };
const entity = {
  blueprint: 'service',
  identifier: 'checkout',
  title: 'Checkout',
  properties: { tier: 1, language: 'go' },
  relations: {},
  meta: { sources: [] },
} as never;
const scope = { entity, user };

describe('form rules: static validation', () => {
  const inputs: ActionInputs = {
    properties: {
      version: { type: 'string', pattern: '^v\\d+\\.\\d+$', minLength: 4, maxLength: 10 },
      replicas: { type: 'integer', minimum: 1, maximum: 10 },
      env: { type: 'string', enum: ['dev', 'prod'] },
      notify: { type: 'boolean' },
      when: { type: 'string', format: 'date-time' },
      contact: { type: 'string', format: 'email' },
      tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, minItems: 1, maxItems: 2 },
    },
    required: ['version'],
  };

  it('accepts valid values and keeps them', async () => {
    const r = await resolveInputs(
      inputs,
      {
        version: 'v1.2',
        replicas: 3,
        env: 'prod',
        notify: false,
        when: '2026-01-31T12:00:00Z',
        contact: 'a@b.io',
        tags: ['a'],
      },
      scope,
    );
    expect(r.problems).toEqual([]);
    expect(r.values).toEqual({
      version: 'v1.2',
      replicas: 3,
      env: 'prod',
      notify: false,
      when: '2026-01-31T12:00:00Z',
      contact: 'a@b.io',
      tags: ['a'],
    });
  });

  it('names the missing required field', async () => {
    expect(await validateInputs(inputs, {}, scope)).toEqual([
      { path: 'inputs.version', message: 'is required' },
    ]);
  });

  it('names every field that breaks its rule', async () => {
    const problems = await validateInputs(
      inputs,
      {
        version: 'x',
        replicas: 2.5,
        env: 'qa',
        notify: 'yes',
        when: 'tomorrow',
        contact: 'nope',
        tags: ['a', 'c', 'b'],
      },
      scope,
    );
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'inputs.version',
        'inputs.replicas',
        'inputs.env',
        'inputs.notify',
        'inputs.when',
        'inputs.contact',
        'inputs.tags',
        'inputs.tags[1]',
      ]),
    );
    expect(problems.find((p) => p.path === 'inputs.version')?.message).toMatch(
      /at least 4 characters|pattern/,
    );
    expect(problems.find((p) => p.path === 'inputs.env')?.message).toBe(
      'must be one of "dev", "prod", got "qa"',
    );
    expect(problems.find((p) => p.path === 'inputs.replicas')?.message).toMatch(/whole number/);
  });

  it('refuses inputs the action does not take', async () => {
    const problems = await validateInputs(inputs, { version: 'v1.0', extra: 1 }, scope);
    expect(problems).toEqual([
      { path: 'inputs.extra', message: expect.stringContaining('is not an input of this action') },
    ]);
  });

  it('checks numeric bounds', async () => {
    expect(await validateInputs(inputs, { version: 'v1.0', replicas: 11 }, scope)).toEqual([
      { path: 'inputs.replicas', message: 'must be at most 10' },
    ]);
  });
});

describe('form rules: dynamic rules over form, entity and user', () => {
  const inputs: ActionInputs = {
    properties: {
      env: {
        type: 'string',
        enum: { jsonata: "entity.properties.tier = 1 ? ['staging', 'prod'] : ['dev']" },
      },
      reason: {
        type: 'string',
        visible: { jsonata: "form.env = 'prod'" },
        required: { jsonata: "form.env = 'prod'" },
      },
      team: { type: 'string', default: { jsonata: 'user.teams[0]' } },
      hours: { type: 'integer', default: 2 },
    },
    steps: [
      { title: 'Where', properties: ['env', 'team'] },
      { title: 'Why', properties: ['reason', 'hours'] },
    ],
  };

  it('computes visibility, requirement, choices and defaults', async () => {
    const state = await evaluateForm(inputs, { form: { env: 'prod' }, ...scope });
    expect(state.env).toEqual({ visible: true, required: false, enum: ['staging', 'prod'] });
    expect(state.reason).toEqual({ visible: true, required: true });
    expect(state.team.default).toBe('payments');
    const hidden = await evaluateForm(inputs, { form: { env: 'staging' }, ...scope });
    expect(hidden.reason).toEqual({ visible: false, required: false });
  });

  it('requires a field only while it is visible', async () => {
    expect(await validateInputs(inputs, { env: 'prod' }, scope)).toEqual([
      { path: 'inputs.reason', message: 'is required' },
    ]);
    expect(await validateInputs(inputs, { env: 'staging' }, scope)).toEqual([]);
  });

  it('drops hidden fields and fills in defaults', async () => {
    const r = await resolveInputs(inputs, { env: 'staging', reason: 'left over' }, scope);
    expect(r.problems).toEqual([]);
    expect(r.values).toEqual({ env: 'staging', team: 'payments', hours: 2 });
  });

  it('checks values against a computed enum', async () => {
    const problems = await validateInputs(inputs, { env: 'dev' }, scope);
    expect(problems).toEqual([
      { path: 'inputs.env', message: 'must be one of "staging", "prod", got "dev"' },
    ]);
  });

  it('orders fields by steps', () => {
    expect(inputOrder(inputs)).toEqual(['env', 'team', 'reason', 'hours']);
  });

  it('reports a rule that fails to evaluate against the field', async () => {
    const broken: ActionInputs = {
      properties: { x: { type: 'string', visible: { jsonata: '$notAFunction()' } } },
    };
    const problems = await validateInputs(broken, { x: 'a' }, scope);
    expect(problems[0].path).toBe('inputs.x');
    expect(problems[0].message).toMatch(/visible rule failed/);
  });
});

describe('form rules: helpers', () => {
  it('tells a broken expression from a valid one', () => {
    expect(checkExpression('form.a = 1')).toBeNull();
    expect(checkExpression('form.a = (')).toMatch(/^JSONata: /);
  });

  it('lists secret inputs', () => {
    expect(
      secretInputNames({ properties: { a: { type: 'string', format: 'secret' }, b: { type: 'string' } } }),
    ).toEqual(['a']);
  });
});
