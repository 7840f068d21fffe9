import { describe, expect, it } from 'vitest';
import { mergeLogs, toRunEvent } from './run-events.ts';

describe('run events', () => {
  it('reads RunEvents and bare named events', () => {
    expect(
      toRunEvent(
        {
          id: '3',
          event: 'message',
          data: '{"type":"log","run":"r","line":{"seq":3,"at":"t","message":"hi"}}',
        },
        'r',
      ),
    ).toEqual({ type: 'log', run: 'r', line: { seq: 3, at: 't', message: 'hi', level: undefined } });
    expect(toRunEvent({ id: '4', event: 'log', data: '{"message":"bare","at":"t"}' }, 'r')).toMatchObject({
      line: { seq: 4, message: 'bare' },
    });
    expect(toRunEvent({ event: 'status', data: '{"status":"SUCCESS","summary":"done"}' }, 'r')).toMatchObject(
      {
        type: 'status',
        status: 'SUCCESS',
        summary: 'done',
        link: null,
      },
    );
    expect(toRunEvent({ event: 'message', data: 'not json' }, 'r')).toBeNull();
  });

  it('merges log lines once each, in order', () => {
    const a = { seq: 1, at: '', message: 'a' };
    const b = { seq: 2, at: '', message: 'b' };
    const c = { seq: 3, at: '', message: 'c' };
    const once = mergeLogs([a], [c, b, a]);
    expect(once.map((l) => l.message)).toEqual(['a', 'b', 'c']);
    expect(mergeLogs(once, [b])).toBe(once);
  });
});
