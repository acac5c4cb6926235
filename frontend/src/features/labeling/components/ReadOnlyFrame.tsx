/**
 * A frame with its labels drawn, not editable: used by the review page (the
 * route passes it in, features do not import each other). A click near a
 * keypoint picks that node (e.g. to pin a review comment to it).
 */
import { useMemo } from 'react';
import type { Instance, Skeleton } from '../../../types/api';
import { frameImageUrl } from '../api/frameImage';
import { findMineIndex, humanPointMap } from '../state';
import { LabelingCanvas } from './LabelingCanvas';

export interface ReadOnlyFrameProps {
  videoId: number;
  frameIndex: number;
  instances: readonly Instance[];
  skeleton: Skeleton;
  size: { width: number; height: number };
  pinnedNodeId?: number | null;
  onPickNode?(nodeId: number): void;
}

export function ReadOnlyFrame(props: ReadOnlyFrameProps) {
  const { instances, skeleton } = props;
  const nodeIds = useMemo(() => skeleton.nodes.map((n) => n.id), [skeleton]);
  const points = useMemo(() => humanPointMap(instances, nodeIds), [instances, nodeIds]);
  const others = useMemo(() => instances.filter((_, i) => i !== findMineIndex(instances)), [instances]);
  const pick = (x: number, y: number) => {
    const reach = Math.max(props.size.width, props.size.height) * 0.06;
    let best: number | null = null;
    let bestD = reach;
    for (const [id, p] of Object.entries(points)) {
      const d = Math.hypot(p.x - x, p.y - y);
      if (p.visibility !== 0 && d <= bestD) {
        best = Number(id);
        bestD = d;
      }
    }
    if (best !== null) props.onPickNode?.(best);
  };
  return (
    <div className="readonly-frame" data-testid="review-frame">
      <LabelingCanvas
        skeleton={skeleton}
        imageUrl={frameImageUrl(props.videoId, props.frameIndex)}
        fallbackSize={props.size}
        points={points}
        otherInstances={others}
        activeNodeId={null}
        editable={false}
        fitRequest={0}
        pinnedNodeId={props.pinnedNodeId ?? null}
        onPlace={(p) => pick(p.x, p.y)}
        onMove={() => undefined}
        onSelect={(id) => props.onPickNode?.(id)}
        onCycleVisibility={() => undefined}
      />
    </div>
  );
}
