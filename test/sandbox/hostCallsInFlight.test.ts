import { afterAll, describe, expect, it } from 'vitest';
import { run, testHost } from '../kit/sandbox.ts';

/** A fan-out of host calls waits in the isolate: the host answers at most `maxHostCallsInFlight` at once. */
describe('host calls in flight', () => {
  const host = testHost({ maxHostCallsInFlight: 3 });
  afterAll(() => host.close());

  it('200 concurrent calls all complete, never more than the limit at the host at once', async () => {
    let now = 0;
    let most = 0;
    const result = await run(
      host,
      `export default { async run() {
        const calls = [];
        for (let i = 0; i < 200; i++) calls.push(m3m.slow(i));
        const out = await Promise.all(calls);
        return out.reduce((a, b) => a + b, 0);
      } };`,
      {
        hostApi: {
          slow: async ([i]) => {
            most = Math.max(most, ++now);
            await new Promise((r) => setTimeout(r, 1));
            now--;
            return i as number;
          },
        },
      },
    );
    expect(result).toMatchObject({ outcome: 'ok', result: (199 * 200) / 2 });
    expect(most).toBe(3);
  });

  it('the next invocation of a warm isolate starts with a free count, even after one timed out mid fan-out', async () => {
    const source = `export default { async run(input) {
      const calls = [];
      for (let i = 0; i < input.n; i++) calls.push(m3m.wait(input.ms));
      await Promise.all(calls);
      return 'done';
    } };`;
    const hostApi = { wait: ([ms]: unknown[]) => new Promise((r) => setTimeout(r, ms as number)) };
    const first = await run(host, source, {
      id: 'fan',
      input: { n: 20, ms: 200 },
      hostApi,
      limits: { wallMs: 300 },
    });
    expect(first.outcome).toBe('timeout');
    const second = await run(host, source, { id: 'fan', input: { n: 20, ms: 1 }, hostApi });
    expect(second).toMatchObject({ outcome: 'ok', result: 'done' });
  });
});
