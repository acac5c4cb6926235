/**
 * A frame with its labels drawn, not editable: used by the review page (the
 * route passes it in, features do not import each other). Every instance is
 * drawn; on a multi-animal frame each in its track's colour with its name,
 * listed under the frame. A click near a keypoint picks that node (e.g. to pin
 * a review comment to it).
 */
import { useMemo } from 'react';
import type { Instance, Skeleton, Track } from '../../../types/api';
import { frameImageUrl } from '../api/frameImage';
import { nearestNode, savedInstanceViews, type SavedInstanceView } from '../savedInstances';
import { LabelingCanvas } from './LabelingCanvas';

export interface ReadOnlyFrameProps {
  videoId: number;
  frameIndex: number;
  instances: readonly Instance[];
  skeleton: Skeleton;
  size: { width: number; height: number };
  /** The project's tracks (instance colours); absent: colours by position. */
  tracks?: readonly Track[];
  pinnedNodeId?: number | null;
  onPickNode?(nodeId: number): void;
}

const NO_TRACKS: readonly Track[] = [];
const NO_INSTANCES: readonly Instance[] = [];

export function ReadOnlyFrame(props: ReadOnlyFrameProps) {
  const { instances, skeleton, tracks = NO_TRACKS } = props;
  const nodeIds = useMemo(() => skeleton.nodes.map((n) => n.id), [skeleton]);
  const views = useMemo(() => savedInstanceViews(instances, nodeIds, tracks), [instances, nodeIds, tracks]);
  const top = views[0];
  const others = useMemo(
    () => views.slice(1).flatMap((v) => (v.style ? [{ index: v.index, points: v.points, style: v.style }] : [])),
    [views],
  );
  const pick = (x: number, y: number) => {
    const best = nearestNode(views, x, y, Math.max(props.size.width, props.size.height) * 0.06);
    if (best !== null) props.onPickNode?.(best);
  };
  return (
    <div className="readonly-frame" data-testid="review-frame">
      <LabelingCanvas
        skeleton={skeleton}
        imageUrl={frameImageUrl(props.videoId, props.frameIndex)}
        fallbackSize={props.size}
        points={top?.points ?? {}}
        otherInstances={NO_INSTANCES}
        activeStyle={top?.style ?? null}
        instances={others}
        activeNodeId={null}
        editable={false}
        fitRequest={0}
        pinnedNodeId={props.pinnedNodeId ?? null}
        onPlace={(p) => pick(p.x, p.y)}
        onMove={() => undefined}
        onSelect={(id) => props.onPickNode?.(id)}
        onSelectInstance={(_, id) => props.onPickNode?.(id)}
        onCycleVisibility={() => undefined}
      />
      {top?.style && <InstanceLegend views={views} />}
    </div>
  );
}

/** The frame's animals by name and colour, in the frame's order. */
function InstanceLegend({ views }: { views: readonly SavedInstanceView[] }) {
  const ordered = [...views].sort((a, b) => a.index - b.index);
  return (
    <ul className="instance-legend small" data-testid="review-instances">
      {ordered.map((v) => (
        <li key={v.index} data-testid={`review-instance-${v.index}`}>
          <span className="swatch" style={{ background: v.style?.color }} aria-hidden="true" />
          {v.style?.label}
          {v.source === 'model' && <span className="muted"> (model)</span>}
        </li>
      ))}
    </ul>
  );
}
