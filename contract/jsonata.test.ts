import { describe, expect, it } from 'vitest';
import { compileJsonata, jsonataErrorText, jsonataLimits } from './jsonata.ts';

describe('compileJsonata: untrusted expressions cannot hold the event loop', () => {
  it('evaluates ordinary expressions as JSONata does', async () => {
    const e = compileJsonata('items[price > 10].name');
    expect(await e.evaluate({ items: [{ name: 'a', price: 5 }, { name: 'b', price: 20 }] })).toBe('b');
  });

  it('stops an endless recursion with JSONata’s stack error', async () => {
    const e = compileJsonata('($f := function($x) { $f($x + 1) + 1 }; $f(0))');
    await expect(e.evaluate({})).rejects.toMatchObject({ code: 'D1011' });
  });

  it('stops an endless tail-recursive loop with the timeout error', async () => {
    // Tail calls do not grow JSONata's stack, so only the clock stops this one.
    const e = compileJsonata('($f := function($x) { $f($x + 1) }; $f(0))');
    const started = Date.now();
    const outcome = await e.evaluate({}).then(
      () => 'finished',
      (err: { code?: string }) => err.code,
    );
    expect(outcome).toBe('D1012');
    // It gave up after about the limit (the bound is loose: the machine may be busy).
    expect(Date.now() - started).toBeGreaterThanOrEqual(jsonataLimits.timeout);
  }, 60_000);

  it('refuses a sequence longer than the limit', async () => {
    const e = compileJsonata('[1..2000000].($ * 2)');
    await expect(e.evaluate({})).rejects.toMatchObject({ code: 'D2015' });
  });

  it('explains a parse error with its position', () => {
    let text = '';
    try {
      compileJsonata('items[');
    } catch (err) {
      text = jsonataErrorText(err);
    }
    expect(text).toMatch(/at character \d+/);
  });
});
