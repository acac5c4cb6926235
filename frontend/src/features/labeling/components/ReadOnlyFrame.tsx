/**
 * A frame with its labels drawn, not editable: used by the review page (the
 * route passes it in, features do not import each other). Every instance is
 * drawn; on a multi-animal frame each in its track's colour with its name,
 * listed under the frame. A click near a keypoint picks that node (e.g. to pin
 * a review comment to it), or, with `onPickInstance` (the proofreading page),
 * the instance nearest the click; the selected instance is drawn on top with
 * a halo.
 */
import { useMemo } from 'react';
import type { Instance, Skeleton, Track } from '../../../types/api';
import { frameImageUrl } from '../api/frameImage';
import { nearestInstance, nearestNode, savedInstanceViews, type SavedInstanceView } from '../savedInstances';
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
  /** Index in `instances` of the selected instance (drawn on top, with a halo). */
  selectedInstance?: number | null;
  /** A click picks an instance: the nearest within reach, null when none is (clicks then pick no node). */
  onPickInstance?(index: number | null): void;
}

const NO_TRACKS: readonly Track[] = [];
const NO_INSTANCES: readonly Instance[] = [];

export function ReadOnlyFrame(props: ReadOnlyFrameProps) {
  const { instances, skeleton, tracks = NO_TRACKS } = props;
  const nodeIds = useMemo(() => skeleton.nodes.map((n) => n.id), [skeleton]);
  const selected = props.selectedInstance ?? null;
  const views = useMemo(() => savedInstanceViews(instances, nodeIds, tracks, selected), [instances, nodeIds, tracks, selected]);
  const top = views[0];
  const halo = useMemo(
    () => (top && top.index === selected ? { points: top.points, color: top.style?.color ?? '#ffd400' } : null),
    [top, selected],
  );
  const others = useMemo(
    () => views.slice(1).flatMap((v) => (v.style ? [{ index: v.index, points: v.points, style: v.style }] : [])),
    [views],
  );
  const reach = Math.max(props.size.width, props.size.height) * 0.06;
  const pick = (x: number, y: number) => {
    if (props.onPickInstance) return props.onPickInstance(nearestInstance(views, x, y, reach));
    const best = nearestNode(views, x, y, reach);
    if (best !== null) props.onPickNode?.(best);
  };
  const pickOn = (index: number | undefined, nodeId: number) =>
    props.onPickInstance ? props.onPickInstance(index ?? null) : props.onPickNode?.(nodeId);
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
        halo={halo}
        onPlace={(p) => pick(p.x, p.y)}
        onMove={() => undefined}
        onSelect={(id) => pickOn(top?.index, id)}
        onSelectInstance={(index, id) => pickOn(index, id)}
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
