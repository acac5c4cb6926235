/**
 * A frame image with its predicted skeletons drawn over it as SVG (hollow
 * circles, opacity = confidence, dashed edges), one per predicted animal. The
 * SVG's viewBox is the image size in pixels, so points in image pixels land
 * where they belong at any display size. An animal with a style is drawn in
 * its track's colour and named; one without keeps the node colours.
 */
import { useState } from 'react';
import type { PredictedPoint, Skeleton } from '../../../types/api';
import { confidenceAlpha } from '../logic';

export interface OverlayAnimal {
  points: readonly PredictedPoint[];
  style: { color: string; label: string } | null;
  /** Not chosen for Accept: drawn faint. */
  faded?: boolean;
}

interface Props {
  imageUrl: string;
  animals: readonly OverlayAnimal[];
  skeleton: Skeleton;
  /** Image size in pixels if known (video width/height); else taken from the loaded image. */
  size?: { width: number; height: number } | null;
  testId?: string;
}

export function PoseOverlay({ imageUrl, animals, skeleton, size, testId }: Props) {
  const [loaded, setLoaded] = useState<{ width: number; height: number } | null>(null);
  const [failed, setFailed] = useState(false);
  const dims = size ?? loaded;
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
          {animals.map((a, i) => (
            <AnimalPose key={i} index={i} animal={a} skeleton={skeleton} r={r} />
          ))}
        </svg>
      )}
    </div>
  );
}

function AnimalPose({ animal, index, skeleton, r }: { animal: OverlayAnimal; index: number; skeleton: Skeleton; r: number }) {
  const { points, style } = animal;
  const byNode = new Map(points.map((p) => [p.node, p] as const));
  const nodeColor = (node: number) => style?.color ?? skeleton.nodes.find((n) => n.id === node)?.color ?? '#ffffff';
  const fade = animal.faded ? 0.35 : 1;
  const top = points.reduce<PredictedPoint | null>((best, p) => (best === null || p.y < best.y ? p : best), null);
  return (
    <g data-animal={index} data-faded={animal.faded ? 'true' : undefined}>
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
            stroke={nodeColor(a)}
            strokeWidth={r / 2.5}
            strokeDasharray={`${r} ${r / 1.5}`}
            opacity={fade * Math.min(confidenceAlpha(pa.score), confidenceAlpha(pb.score))}
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
          opacity={fade * confidenceAlpha(p.score) * 0.5}
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
          stroke={nodeColor(p.node)}
          strokeWidth={r / 2}
          opacity={fade * confidenceAlpha(p.score)}
        >
          <title>
            {style ? `${style.label} · ` : ''}
            {skeleton.nodes.find((n) => n.id === p.node)?.name ?? p.node}: {p.score == null ? '–' : p.score.toFixed(2)}
          </title>
        </circle>
      ))}
      {style && top && (
        <text
          x={top.x}
          y={top.y - r * 1.8}
          textAnchor="middle"
          fontSize={r * 2.2}
          fill={style.color}
          stroke="#000000"
          strokeWidth={r / 4}
          paintOrder="stroke"
          opacity={fade}
          data-label={index}
        >
          {style.label}
        </text>
      )}
    </g>
  );
}
