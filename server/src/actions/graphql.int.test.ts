import { pluralFieldOf } from '@plexus/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlexus, type TestPlexus, uniqueId } from '../test-support.ts';
import { waitFor } from './test-executor.ts';

/** Actions and runs in GraphQL: the same service, permissions and runs as REST. */
let px: TestPlexus;
let bp: string;
let action: string;
let viewerToken: string;

async function gql(query: string, variables?: Record<string, unknown>, token?: string) {
  const r = await px.call('POST', '/graphql', { query, variables }, token ? { token } : undefined);
  // biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are checked field by field below
  return r.body as { data?: any; errors?: { message: string }[] };
}

beforeAll(async () => {
  px = await startTestPlexus();
  bp = uniqueId('env');
  expect(
    (
      await px.call('POST', '/api/v1/blueprints', {
        identifier: bp,
        title: 'Environment',
        schema: { properties: { region: { type: 'string' } } },
      })
    ).status,
  ).toBe(201);
  action = uniqueId('touch-');
  const created = await px.call('POST', '/api/v1/actions', {
    identifier: action,
    title: 'Touch',
    blueprint: bp,
    operation: 'DAY-2',
    inputs: { properties: { region: { type: 'string', enum: ['eu', 'us'] } }, required: ['region'] },
    invoker: {
      type: 'upsert-entity',
      mapping: {
        jsonata: `{"blueprint": "${bp}", "identifier": entity.identifier, "properties": {"region": inputs.region}}`,
      },
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(
    (
      await px.call('POST', `/api/v1/blueprints/${bp}/entities`, {
        identifier: 'dev',
        properties: { region: 'eu' },
      })
    ).status,
  ).toBe(201);
  viewerToken = (await px.call('POST', '/api/v1/tokens', { name: uniqueId('viewer'), role: 'viewer' })).body
    .token;
  // The schema with the new blueprint is built off the request path: wait until it is served.
  await waitFor(
    'the schema to serve the blueprint',
    async () =>
      (await gql(`{ __type(name: "${bp.charAt(0).toUpperCase()}${bp.slice(1)}") { name } }`)).data?.__type
        ? true
        : null,
    60_000,
  );
}, 180_000);

afterAll(async () => {
  await px?.close();
});

describe('actions in GraphQL', () => {
  it('lists the actions of an entity, runs one, and shows the run on the run, the runs page and the entity', async () => {
    const listed = await gql('query($e: String) { actions(entity: $e) }', { e: `${bp}:dev` });
    expect(listed.errors).toBeUndefined();
    expect(listed.data.actions.map((a: { identifier: string }) => a.identifier)).toEqual([action]);

    const bad = await gql(
      'mutation($a: String!, $e: String) { runAction(action: $a, entity: $e, inputs: {region: "mars"}) { id } }',
      { a: action, e: `${bp}:dev` },
    );
    expect(bad.errors?.[0].message).toMatch(/region/);

    const started = await gql(
      'mutation($a: String!, $e: String) { runAction(action: $a, entity: $e, inputs: {region: "us"}) { id status entity createdBy } }',
      { a: action, e: `${bp}:dev` },
    );
    expect(started.errors).toBeUndefined();
    const id = started.data.runAction.id as string;
    expect(started.data.runAction.entity).toBe(`${bp}:dev`);

    const ended = await waitFor('the run to end', async () => {
      const r = await gql('query($id: String!) { run(id: $id) { status endedAt affectedEntities inputs } }', {
        id,
      });
      return r.data?.run?.endedAt ? r.data.run : null;
    });
    expect(ended.status).toBe('SUCCESS');
    expect(ended.affectedEntities).toEqual([`${bp}:dev`]);
    expect(ended.inputs).toEqual({ region: 'us' });

    const page = await gql('query($a: String) { runs(action: $a) { runs { id status } next } }', {
      a: action,
    });
    expect(page.data.runs.runs.map((r: { id: string }) => r.id)).toContain(id);

    const field = pluralFieldOf(bp);
    const onEntity = await gql(
      `{ ${field}(where: { identifier: { eq: "dev" } }) { identifier runs(limit: 5) { id status } } }`,
    );
    expect(onEntity.errors).toBeUndefined();
    expect(onEntity.data[field][0].runs[0]).toEqual({ id, status: 'SUCCESS' });
  });

  it('refuses a run to a caller without execute permission, with nothing stored', async () => {
    const before = (await px.call('GET', `/api/v1/runs?action=${action}`)).body.runs.length;
    const denied = await gql(
      'mutation($a: String!, $e: String) { runAction(action: $a, entity: $e, inputs: {region: "eu"}) { id } }',
      { a: action, e: `${bp}:dev` },
      viewerToken,
    );
    expect(denied.errors?.[0].message).toBeTruthy();
    expect(denied.data?.runAction ?? null).toBeNull();
    expect((await px.call('GET', `/api/v1/runs?action=${action}`)).body.runs.length).toBe(before);
  });
});
