// Entry of a GraphQL worker thread (see schema-service.ts): the sources are TypeScript, run by
// tsx as the server is (`tsx server/src/main.ts`, and under vitest); a worker starts without the
// parent's loader, so register tsx here, then load the real entry.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
