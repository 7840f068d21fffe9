/**
 * The connector SDK: what connectors implement (`contract.ts`), what they use (HTTP client,
 * config fields, webhook signatures) and what runs them (mapping engine, sync engine).
 */

// The JSONata sandbox lives in @plexus/contract (the UI's form rules run it too); connectors use it from here.
export { compileJsonata, type JsonataExpression, jsonataErrorText, jsonataLimits } from '@plexus/contract';
export * from './config-schema.ts';
export * from './contract.ts';
export * from './egress.ts';
export { environmentType } from './environment-type.ts';
export * from './file-policy.ts';
export * from './http-client.ts';
export * from './mapping.ts';
export * from './sync-engine.ts';
export * from './webhooks.ts';
