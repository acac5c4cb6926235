import { describe, expect, it } from 'vitest';
import { expiresIn, inviteLink } from './invites';

describe('invite helpers', () => {
  it('builds the SPA link and escapes the token', () => {
    expect(inviteLink('https://lab.org', 'abc_-1')).toBe('https://lab.org/invite/abc_-1');
    expect(inviteLink('http://x', 'a/b?c')).toBe('http://x/invite/a%2Fb%3Fc');
  });

  it('says how long a link has left', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(expiresIn('2024-01-04T00:00:00Z', now)).toBe('expires in 3 days');
    expect(expiresIn('2024-01-01T05:30:00Z', now)).toBe('expires in 5 hours');
    expect(expiresIn('2024-01-01T01:00:00Z', now)).toBe('expires in 1 hour');
    expect(expiresIn('2024-01-01T00:10:00Z', now)).toBe('expires in under an hour');
    expect(expiresIn('2023-12-31T00:00:00Z', now)).toBe('expired');
  });
});
