import { randomBytes } from 'node:crypto';

/** Unique suffix so each test's blueprints, entities and sources never meet another test's. */
export function uniqueId(prefix = 't'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}
