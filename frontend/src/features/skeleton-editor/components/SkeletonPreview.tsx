/** Live drawing of the skeleton being edited: edges solid, left/right pairs dashed, mirrored. */
import type { Draft } from '../model';
import { previewLayout } from '../model';

export function SkeletonPreview({ draft, width = 320, height = 300 }: { draft: Draft; width?: number; height?: number }) {
  const pos = previewLayout(draft, width, height);
  const color = (key: string) => draft.nodes.find((n) => n.key === key)?.color ?? '#888';
  return (
    <svg
      className="skeleton-preview"
      data-testid="skeleton-preview"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Skeleton preview: ${draft.nodes.length} nodes, ${draft.edges.length} edges, ${draft.symmetries.length} symmetric pairs`}
    >
      <rect width={width} height={height} fill="#1b1d22" rx={6} />
      {draft.symmetries.map(([a, b], i) => {
        const pa = pos.get(a);
        const pb = pos.get(b);
        if (!pa || !pb) return null;
        return <line key={`s${i}`} x1={pa.x} y1={pa.y} x2={pb.x} y2={pb.y} stroke="#aaa" strokeDasharray="4 4" strokeWidth={1} />;
      })}
      {draft.edges.map(([a, b], i) => {
        const pa = pos.get(a);
        const pb = pos.get(b);
        if (!pa || !pb) return null;
        return <line key={`e${i}`} data-testid="preview-edge" x1={pa.x} y1={pa.y} x2={pb.x} y2={pb.y} stroke={color(a)} strokeWidth={3} />;
      })}
      {draft.nodes.map((n) => {
        const p = pos.get(n.key);
        if (!p) return null;
        return (
          <g key={n.key} data-testid="preview-node">
            <circle cx={p.x} cy={p.y} r={7} fill={n.color} stroke="#000" />
            <text x={p.x + 11} y={p.y + 4} fill="#eee" fontSize={12}>
              {n.name || '(unnamed)'}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
