import type { Skeleton } from '../../../types/api';

/** Read-only view of a skeleton: nodes with colours, edges and symmetries. */
export function SkeletonView({ skeleton }: { skeleton: Skeleton }) {
  const name = (id: number) => skeleton.nodes.find((n) => n.id === id)?.name ?? `#${id}`;
  const pairs = (list: [number, number][]) =>
    list.length ? list.map(([a, b]) => `${name(a)} – ${name(b)}`).join(', ') : '—';
  return (
    <section className="card" data-testid="skeleton">
      <h2>Skeleton</h2>
      {skeleton.nodes.length === 0 && <p className="muted">No nodes yet.</p>}
      <ul className="nodes">
        {skeleton.nodes.map((n) => (
          <li key={n.id} data-testid={`skeleton-node-${n.name}`}>
            <span className="swatch" style={{ background: n.color }} />
            {n.name}
          </li>
        ))}
      </ul>
      <p>
        <strong>Edges:</strong> {pairs(skeleton.edges)}
      </p>
      <p>
        <strong>Symmetries:</strong> {pairs(skeleton.symmetries)}
      </p>
    </section>
  );
}
