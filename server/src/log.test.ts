import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';

describe('structured logs', () => {
  it('writes one JSON object a line with level, message and fields', () => {
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).info('started', { port: 4000 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', msg: 'started', port: 4000 });
  });

  it('never writes secrets, however deep they sit', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) }).child({ request: { headers: { authorization: 'Bearer plx_secret1' } } });
    log.warn('sync failed', { config: { token: 'ghp_secret2', webhookSecret: 'whsec_3', nested: [{ password: 'pw4' }] } });
    expect(lines[0]).not.toMatch(/secret1|secret2|whsec_3|pw4/);
    expect(lines[0]).toContain('[redacted]');
  });

  it('drops records below the configured level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    log.debug('a');
    log.info('b');
    log.error('c');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['c']);
  });
});
