export function Loading({ what = 'Loading…' }: { what?: string }) {
  return <p className="muted">{what}</p>;
}
