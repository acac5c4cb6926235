import type { Skeleton } from '../../../types/api';
import type { PointMap } from '../canvas/render';

const VISIBILITY_TEXT = { 2: 'visible', 1: 'occluded', 0: 'not in frame' } as const;

/** One row per skeleton node; click a row to make it active. */
export function NodeList(props: {
  skeleton: Skeleton;
  points: PointMap;
  activeNodeId: number | null;
  onSelect(nodeId: number): void;
}) {
  return (
    <ol className="node-list" data-testid="node-list">
      {props.skeleton.nodes.map((node) => {
        const p = props.points[node.id];
        const active = node.id === props.activeNodeId;
        return (
          <li key={node.id}>
            <button
              type="button"
              className={active ? 'node-row active' : 'node-row'}
              data-testid={`node-${node.name}`}
              data-placed={p ? 'true' : 'false'}
              data-active={active ? 'true' : 'false'}
              data-visibility={p ? String(p.visibility) : ''}
              onClick={(e) => {
                props.onSelect(node.id);
                e.currentTarget.blur(); // keep Space/Enter for the canvas shortcuts
              }}
            >
              <span className="swatch" style={{ background: node.color }} />
              <span className="node-name">{node.name}</span>
              <span className="muted small">{p ? VISIBILITY_TEXT[p.visibility] : 'unplaced'}</span>
            </button>
          </li>
        );
      })}
    </ol>
  );
}
