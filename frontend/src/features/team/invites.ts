/** Pure helpers for invite links: the URL to hand out and how long a link has left. */

/** The SPA page that opens an invite (the token is only ever in this link). */
export function inviteLink(origin: string, token: string): string {
  return `${origin}/invite/${encodeURIComponent(token)}`;
}

/** "expires in 3 days" / "expires in 5 hours" / "expires in under an hour". */
export function expiresIn(expiresAt: string, now: number = Date.now()): string {
  const hours = (Date.parse(expiresAt) - now) / 3_600_000;
  if (hours <= 0) return 'expired';
  if (hours < 1) return 'expires in under an hour';
  if (hours < 48) return `expires in ${Math.floor(hours)} hour${Math.floor(hours) === 1 ? '' : 's'}`;
  return `expires in ${Math.floor(hours / 24)} days`;
}
