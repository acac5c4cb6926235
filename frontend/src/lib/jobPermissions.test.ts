import { describe, expect, it } from 'vitest';
import { mayCancelJob } from './jobPermissions';

describe('mayCancelJob', () => {
  const bob = { username: 'bob' };
  it('lets the starter and owners cancel, nobody else', () => {
    expect(mayCancelJob('bob', bob, 'annotator')).toBe(true);
    expect(mayCancelJob('alice', { username: 'alice' }, 'owner')).toBe(true);
    expect(mayCancelJob('bob', { username: 'alice' }, 'owner')).toBe(true);
    expect(mayCancelJob('bob', { username: 'carl' }, 'annotator')).toBe(false);
    expect(mayCancelJob('bob', { username: 'rita' }, 'reviewer')).toBe(false);
  });

  it('a job whose starter account is gone is an owner matter', () => {
    expect(mayCancelJob(null, bob, 'annotator')).toBe(false);
    expect(mayCancelJob(null, bob, 'owner')).toBe(true);
    expect(mayCancelJob('bob', null, 'annotator')).toBe(false);
  });
});
