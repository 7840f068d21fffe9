import { describe, expect, it } from 'vitest';
import { schemaProbe } from './schema-probe.ts';

describe('schemaProbe', () => {
  it('asks for the list field with every scalar property, so only the new schema answers it', () => {
    expect(
      schemaProbe({
        identifier: 'service',
        schema: {
          properties: {
            tier: { type: 'integer' },
            name: { type: 'string' },
            labels: { type: 'object' },
            tags: { type: 'array', items: { type: 'string' } },
          },
        },
      }),
    ).toBe('{ probe: services(limit: 1) { identifier tier name } }');
  });
});
