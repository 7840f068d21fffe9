/**
 * The connector SDK: what connectors implement (`contract.ts`), what they use (HTTP client,
 * config fields, webhook signatures) and what runs them (mapping engine, sync engine).
 */
export * from './config-schema.ts';
export * from './contract.ts';
export * from './egress.ts';
export * from './file-policy.ts';
export * from './http-client.ts';
export * from './jsonata.ts';
export * from './mapping.ts';
export * from './sync-engine.ts';
export * from './webhooks.ts';
