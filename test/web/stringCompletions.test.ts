import { describe, expect, it } from 'vitest';
import { stringArgumentAt } from '@/features/workers/editor/string-arguments';

describe('the names the worker editor offers inside a string argument', () => {
  it('are variable names in m3m.env.get and goal slugs in m3m.goals.increment, after any quote', () => {
    expect(stringArgumentAt('  const url = await m3m.env.get("')).toEqual({ kind: 'envNames', typed: '' });
    expect(stringArgumentAt("await m3m.env.get('SHO")).toEqual({ kind: 'envNames', typed: 'SHO' });
    expect(stringArgumentAt('await m3m.goals.increment(`cl')).toEqual({ kind: 'goalSlugs', typed: 'cl' });
    expect(stringArgumentAt('m3m .goals. increment( "')).toEqual({ kind: 'goalSlugs', typed: '' });
  });

  it('are nothing elsewhere: other calls, a closed string, a later argument', () => {
    expect(stringArgumentAt('m3m.log.info("')).toBeNull();
    expect(stringArgumentAt('m3m.env.get("A") + "')).toBeNull();
    expect(stringArgumentAt('m3m.goals.increment("clicks", "')).toBeNull();
    expect(stringArgumentAt('m3m.goals.increment(')).toBeNull();
  });
});
