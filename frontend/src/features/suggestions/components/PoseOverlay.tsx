/**
 * A frame image with a predicted skeleton drawn over it as SVG (hollow circles,
 * opacity = confidence, dashed edges). The SVG's viewBox is the image size in
 * pixels, so points in image pixels land where they belong at any display size.
 */
import { useState } from 'react';
import type { PredictedPoint, Skeleton } from '../../../types/api';
import { confidenceAlpha } from '../logic';

interface Props {
  imageUrl: string;
  points: readonly PredictedPoint[];
  skeleton: Skeleton;
  /** Image size in pixels if known (video width/height); else taken from the loaded image. */
  size?: { width: number; height: number } | null;
  testId?: string;
}

export function PoseOverlay({ imageUrl, points, skeleton, size, testId }: Props) {
  const [loaded, setLoaded] = useState<{ width: number; height: number } | null>(null);
  const [failed, setFailed] = useState(false);
  const dims = size ?? loaded;
  const byNode = new Map(points.map((p) => [p.node, p] as const));
  const color = (node: number) => skeleton.nodes.find((n) => n.id === node)?.color ?? '#ffffff';
  const r = dims ? Math.max(3, Math.min(dims.width, dims.height) / 24) : 4;

  return (
    <div className="pose-frame" data-testid={testId}>
      <img
        src={imageUrl}
        alt=""
        onLoad={(e) => setLoaded({ width: e.currentTarget.naturalWidth, height: e.currentTarget.naturalHeight })}
        onError={() => setFailed(true)}
      />
      {failed && <div className="pose-frame-error small">Frame image unavailable</div>}
      {dims && (
        <svg viewBox={`0 0 ${dims.width} ${dims.height}`} preserveAspectRatio="none" aria-hidden="true">
          {skeleton.edges.map(([a, b]) => {
            const pa = byNode.get(a);
            const pb = byNode.get(b);
            if (!pa || !pb) return null;
            return (
              <line
                key={`${a}-${b}`}
                x1={pa.x}
                y1={pa.y}
                x2={pb.x}
                y2={pb.y}
                stroke={color(a)}
                strokeWidth={r / 2.5}
                strokeDasharray={`${r} ${r / 1.5}`}
                opacity={Math.min(confidenceAlpha(pa.score), confidenceAlpha(pb.score))}
              />
            );
          })}
          {points.map((p) => (
            <circle
              key={`halo-${p.node}`}
              cx={p.x}
              cy={p.y}
              r={r}
              fill="none"
              stroke="#000000"
              strokeWidth={r / 1.2}
              opacity={confidenceAlpha(p.score) * 0.5}
            />
          ))}
          {points.map((p) => (
            <circle
              key={p.node}
              data-node={p.node}
              cx={p.x}
              cy={p.y}
              r={r}
              fill="none"
              stroke={color(p.node)}
              strokeWidth={r / 2}
              opacity={confidenceAlpha(p.score)}
            >
              <title>
                {skeleton.nodes.find((n) => n.id === p.node)?.name ?? p.node}: {p.score == null ? '–' : p.score.toFixed(2)}
              </title>
            </circle>
          ))}
        </svg>
      )}
    </div>
  );
}
