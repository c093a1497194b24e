import { describe, expect, it } from 'vitest';
import { bcryptHasher } from '../../infrastructure/auth/bcryptHasher.ts';

describe('bcrypt password hasher', () => {
  const hasher = bcryptHasher(8);

  it('hashes with the configured cost and verifies', async () => {
    const hash = await hasher.hash('correct-horse-1');
    expect(hash).toMatch(/^\$2b\$08\$/);
    expect(await hasher.verify('correct-horse-1', hash)).toBe(true);
    expect(await hasher.verify('correct-horse-2', hash)).toBe(false);
  });

  it('spends a real comparison on an unknown user (no timing oracle) and says no', async () => {
    const hash = await hasher.hash('correct-horse-1');
    expect(await hasher.verify('correct-horse-1', null)).toBe(false); // warms the dummy hash up
    const time = async (candidate: string | null) => {
      const started = performance.now();
      await hasher.verify('correct-horse-1', candidate);
      return performance.now() - started;
    };
    // Interleaved, and the fastest of each kind: load from other processes only ever adds time, so the minimum
    // is what the comparison itself costs. Skipping the comparison for an unknown user makes it 100x cheaper.
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(await time(hash));
      unknown.push(await time(null));
    }
    expect(Math.min(...unknown)).toBeGreaterThan(Math.min(...known) * 0.5);
  });
});
