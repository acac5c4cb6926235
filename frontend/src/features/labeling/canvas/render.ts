/**
 * Drawing of the labeling canvas, in two layers (no React):
 *
 * 1. static layer: `renderFrame` (the video frame) + `renderInstances` (other
 *    instances, faint) + `renderSkeleton` (the pose being edited). Redrawn only
 *    when the frame, the pose or the viewport change.
 * 2. interactive layer: `renderHandles` (active/hover rings, the point being
 *    dragged at its live position). Redrawn on every pointer move, on top of a
 *    copy of the static layer.
 *
 * All functions draw in CSS pixels: the caller sets the context transform for
 * devicePixelRatio. Visibility 2 is a filled circle, 1 (occluded) a hollow
 * circle with dashed edges, 0 (not in frame) is not drawn.
 */
import type { Instance, Skeleton } from '../../../types/api';
import type { PointValue } from '../state';
import { imagePoint, imageToScreen, type Size, type Viewport } from './geometry';

export type Ctx2D = CanvasRenderingContext2D;
export type PointMap = Readonly<Record<number, PointValue>>;

export const POINT_RADIUS = 5;
const BACKGROUND = '#1b1d22';

function toScreen(p: PointValue, vp: Viewport) {
  return imageToScreen(imagePoint(p.x, p.y), vp);
}

/** Clear the canvas and draw the frame image (if loaded) through the viewport. */
export function renderFrame(ctx: Ctx2D, image: CanvasImageSource | null, imageSize: Size, vp: Viewport, canvas: Size): void {
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!image) return;
  // Pixels stay crisp when zoomed in, so sub-pixel placement is judged on real pixels.
  ctx.imageSmoothingEnabled = vp.scale < 2;
  ctx.drawImage(image, vp.offsetX, vp.offsetY, imageSize.width * vp.scale, imageSize.height * vp.scale);
}

/** How an instance of a multi-animal frame is told apart: its track's colour and name. */
export interface InstanceStyle {
  color: string;
  label: string;
}

function drawEdges(ctx: Ctx2D, skeleton: Skeleton, points: PointMap, vp: Viewport, alpha: number, color?: string): void {
  ctx.lineWidth = 2;
  ctx.globalAlpha = alpha;
  for (const [a, b] of skeleton.edges) {
    const pa = points[a];
    const pb = points[b];
    if (!pa || !pb || pa.visibility === 0 || pb.visibility === 0) continue;
    const sa = toScreen(pa, vp);
    const sb = toScreen(pb, vp);
    ctx.setLineDash(pa.visibility === 1 || pb.visibility === 1 ? [5, 4] : []);
    ctx.strokeStyle = color ?? skeleton.nodes.find((n) => n.id === a)?.color ?? '#ffffff';
    ctx.beginPath();
    ctx.moveTo(sa.x, sa.y);
    ctx.lineTo(sb.x, sb.y);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
}

function drawNode(ctx: Ctx2D, p: PointValue, color: string, vp: Viewport, label: string | null, ring?: string): void {
  if (p.visibility === 0) return;
  const s = toScreen(p, vp);
  ctx.beginPath();
  ctx.arc(s.x, s.y, POINT_RADIUS, 0, Math.PI * 2);
  if (p.visibility === 2) {
    ctx.fillStyle = color;
    ctx.fill();
    ctx.setLineDash([]);
    ctx.strokeStyle = ring ?? '#000000';
    ctx.lineWidth = ring ? 2 : 1;
  } else {
    ctx.setLineDash([3, 2]);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
  }
  ctx.stroke();
  ctx.setLineDash([]);
  if (label) {
    ctx.font = '12px system-ui, sans-serif';
    ctx.lineWidth = 3;
    ctx.strokeStyle = 'rgba(0,0,0,0.8)';
    ctx.strokeText(label, s.x + POINT_RADIUS + 3, s.y - POINT_RADIUS);
    ctx.fillStyle = color;
    ctx.fillText(label, s.x + POINT_RADIUS + 3, s.y - POINT_RADIUS);
  }
}

/**
 * The pose being edited: edges as lines, each node a coloured circle with its
 * name. With a `style` (several animals), edges and node rings take the
 * track's colour and the instance's name is written above it.
 */
export function renderSkeleton(ctx: Ctx2D, skeleton: Skeleton, points: PointMap, vp: Viewport, style?: InstanceStyle | null): void {
  drawEdges(ctx, skeleton, points, vp, 0.9, style?.color);
  for (const node of skeleton.nodes) {
    const p = points[node.id];
    if (p) drawNode(ctx, p, node.color, vp, node.name, style?.color);
  }
  if (style) renderInstanceLabel(ctx, points, vp, style, true);
}

/**
 * A halo under a selected instance (drawn before it): its edges and points
 * widened in a translucent light stroke and ringed in its colour, and a
 * dashed box around it, so it stands out among the frame's animals without
 * hiding its keypoints.
 */
export function renderHalo(ctx: Ctx2D, skeleton: Skeleton, points: PointMap, vp: Viewport, color: string): void {
  ctx.setLineDash([]);
  ctx.lineCap = 'round';
  ctx.lineWidth = 4 * POINT_RADIUS;
  ctx.strokeStyle = 'rgba(255,255,255,0.45)';
  for (const [a, b] of skeleton.edges) {
    const pa = points[a];
    const pb = points[b];
    if (!pa || !pb || pa.visibility === 0 || pb.visibility === 0) continue;
    const sa = toScreen(pa, vp);
    const sb = toScreen(pb, vp);
    ctx.beginPath();
    ctx.moveTo(sa.x, sa.y);
    ctx.lineTo(sb.x, sb.y);
    ctx.stroke();
  }
  for (const p of Object.values(points)) {
    if (p.visibility === 0) continue;
    const s = toScreen(p, vp);
    ctx.beginPath();
    ctx.arc(s.x, s.y, 2 * POINT_RADIUS, 0, Math.PI * 2);
    ctx.fillStyle = 'rgba(255,255,255,0.45)';
    ctx.fill();
    ctx.lineWidth = 2;
    ctx.strokeStyle = color;
    ctx.stroke();
    ctx.lineWidth = 4 * POINT_RADIUS;
    ctx.strokeStyle = 'rgba(255,255,255,0.45)';
  }
  const shown = Object.values(points).filter((p) => p.visibility !== 0).map((p) => toScreen(p, vp));
  if (shown.length) {
    const pad = 3 * POINT_RADIUS;
    const xs = shown.map((s) => s.x);
    const ys = shown.map((s) => s.y);
    const [left, top] = [Math.min(...xs) - pad, Math.min(...ys) - pad];
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 2;
    ctx.strokeStyle = color;
    ctx.strokeRect(left, top, Math.max(...xs) + pad - left, Math.max(...ys) + pad - top);
    ctx.setLineDash([]);
  }
  ctx.lineCap = 'butt';
}

/** An editable instance that is not the active one: all in its track's colour, with its name. */
export function renderTrackedInstance(ctx: Ctx2D, skeleton: Skeleton, points: PointMap, vp: Viewport, style: InstanceStyle): void {
  drawEdges(ctx, skeleton, points, vp, 0.75, style.color);
  ctx.globalAlpha = 0.85;
  for (const node of skeleton.nodes) {
    const p = points[node.id];
    if (p) drawNode(ctx, p, style.color, vp, null);
  }
  ctx.globalAlpha = 1;
  renderInstanceLabel(ctx, points, vp, style, false);
}

/** Where an instance's name goes: above its topmost drawn point, centred; null when nothing is drawn. */
export function instanceLabelAnchor(points: PointMap, vp: Viewport): { x: number; y: number } | null {
  const shown = Object.values(points).filter((p) => p.visibility !== 0).map((p) => toScreen(p, vp));
  if (!shown.length) return null;
  const x = shown.reduce((a, p) => a + p.x, 0) / shown.length;
  const y = Math.min(...shown.map((p) => p.y)) - POINT_RADIUS - 22;
  return { x, y };
}

function renderInstanceLabel(ctx: Ctx2D, points: PointMap, vp: Viewport, style: InstanceStyle, active: boolean): void {
  const at = instanceLabelAnchor(points, vp);
  if (!at) return;
  ctx.font = `${active ? 'bold ' : ''}14px system-ui, sans-serif`;
  const width = ctx.measureText?.(style.label).width ?? style.label.length * 7;
  ctx.lineWidth = 4;
  ctx.strokeStyle = 'rgba(0,0,0,0.85)';
  ctx.strokeText(style.label, at.x - width / 2, at.y);
  ctx.fillStyle = style.color;
  ctx.fillText(style.label, at.x - width / 2, at.y);
}

/** Instances we do not edit (other tracks, model predictions), drawn faint and unlabeled. */
export function renderInstances(ctx: Ctx2D, skeleton: Skeleton, instances: readonly Instance[], vp: Viewport): void {
  for (const inst of instances) {
    const points: Record<number, PointValue> = {};
    for (const p of inst.points) points[p.node] = p;
    drawEdges(ctx, skeleton, points, vp, 0.35);
    ctx.globalAlpha = 0.45;
    for (const node of skeleton.nodes) {
      const p = points[node.id];
      if (p) drawNode(ctx, p, node.color, vp, null);
    }
    ctx.globalAlpha = 1;
  }
}

/** Predicted points (node id → point with the model's confidence). */
export type PredictionMap = Readonly<Record<number, { x: number; y: number; score: number | null }>>;

/**
 * The model's prediction, faint: dashed edges and hollow dashed circles, each
 * with opacity from its confidence (`alphaOf`), so it never hides the pose
 * being edited.
 */
export function renderPredictions(
  ctx: Ctx2D,
  skeleton: Skeleton,
  points: PredictionMap,
  vp: Viewport,
  alphaOf: (score: number | null) => number,
): void {
  const screen = (p: { x: number; y: number }) => imageToScreen(imagePoint(p.x, p.y), vp);
  const color = (id: number) => skeleton.nodes.find((n) => n.id === id)?.color ?? '#ffffff';
  ctx.lineWidth = 1.5;
  ctx.setLineDash([4, 4]);
  for (const [a, b] of skeleton.edges) {
    const pa = points[a];
    const pb = points[b];
    if (!pa || !pb) continue;
    const sa = screen(pa);
    const sb = screen(pb);
    ctx.globalAlpha = Math.min(alphaOf(pa.score), alphaOf(pb.score)) * 0.8;
    ctx.strokeStyle = color(a);
    ctx.beginPath();
    ctx.moveTo(sa.x, sa.y);
    ctx.lineTo(sb.x, sb.y);
    ctx.stroke();
  }
  ctx.lineWidth = 2;
  ctx.setLineDash([2, 2]);
  for (const node of skeleton.nodes) {
    const p = points[node.id];
    if (!p) continue;
    const sp = screen(p);
    ctx.globalAlpha = alphaOf(p.score);
    ctx.strokeStyle = node.color;
    ctx.beginPath();
    ctx.arc(sp.x, sp.y, POINT_RADIUS + 1, 0, Math.PI * 2);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
}

export interface HandleState {
  activeNodeId: number | null;
  hoverNodeId: number | null;
  /** A point being dragged: drawn at its live position (hidden from the static layer). */
  drag: { nodeId: number; point: PointValue } | null;
  /** The whole instance being dragged (Shift+drag), at its live position (hidden from the static layer). */
  dragInstance?: { points: PointMap; style: InstanceStyle | null } | null;
}

/** Interactive layer: the dragged point or instance and its edges, hover and active rings. */
export function renderHandles(ctx: Ctx2D, skeleton: Skeleton, points: PointMap, vp: Viewport, h: HandleState): void {
  let shown = points;
  if (h.dragInstance) {
    shown = h.dragInstance.points;
    renderSkeleton(ctx, skeleton, shown, vp, h.dragInstance.style);
  } else if (h.drag) {
    const { nodeId, point } = h.drag;
    shown = { ...points, [nodeId]: point };
    const touching = { ...skeleton, edges: skeleton.edges.filter(([a, b]) => a === nodeId || b === nodeId) };
    drawEdges(ctx, touching, shown, vp, 0.9);
    const node = skeleton.nodes.find((n) => n.id === nodeId);
    drawNode(ctx, point, node?.color ?? '#ffffff', vp, node?.name ?? null);
  }
  const ring = (nodeId: number | null, color: string, radius: number) => {
    const p = nodeId === null ? undefined : shown[nodeId];
    if (!p || p.visibility === 0) return;
    const s = toScreen(p, vp);
    ctx.beginPath();
    ctx.arc(s.x, s.y, radius, 0, Math.PI * 2);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.stroke();
  };
  ring(h.hoverNodeId, 'rgba(255,255,255,0.7)', POINT_RADIUS + 3);
  ring(h.activeNodeId, '#ffd400', POINT_RADIUS + 5);
}

/** The points without `nodeId` (the static layer hides a point while it is dragged). */
export function withoutNode(points: PointMap, nodeId: number | null): PointMap {
  if (nodeId === null || !(nodeId in points)) return points;
  const rest = { ...points };
  delete rest[nodeId];
  return rest;
}

export interface MarkerState {
  /** Keyboard placement crosshair, in image pixels. */
  crosshair: { x: number; y: number } | null;
  /** Node a reviewer pinned a comment to: drawn with a red ring and "!". */
  pinnedNodeId: number | null;
}

/** Markers on the interactive layer: the keyboard crosshair and a reviewer's pin. */
export function renderMarkers(ctx: Ctx2D, points: PointMap, vp: Viewport, m: MarkerState): void {
  const pinned = m.pinnedNodeId === null ? undefined : points[m.pinnedNodeId];
  if (pinned && pinned.visibility !== 0) {
    const s = toScreen(pinned, vp);
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.arc(s.x, s.y, POINT_RADIUS + 9, 0, Math.PI * 2);
    ctx.strokeStyle = '#ff3b3b';
    ctx.lineWidth = 3;
    ctx.stroke();
    ctx.font = 'bold 14px system-ui, sans-serif';
    ctx.fillStyle = '#ff3b3b';
    ctx.fillText('!', s.x - POINT_RADIUS - 16, s.y - POINT_RADIUS - 6);
  }
  if (m.crosshair) {
    const s = imageToScreen(imagePoint(m.crosshair.x, m.crosshair.y), vp);
    const gap = 4;
    const arm = 14;
    for (const [color, width] of [['rgba(0,0,0,0.85)', 4], ['#00e5ff', 2]] as const) {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.moveTo(s.x - gap - arm, s.y);
      ctx.lineTo(s.x - gap, s.y);
      ctx.moveTo(s.x + gap, s.y);
      ctx.lineTo(s.x + gap + arm, s.y);
      ctx.moveTo(s.x, s.y - gap - arm);
      ctx.lineTo(s.x, s.y - gap);
      ctx.moveTo(s.x, s.y + gap);
      ctx.lineTo(s.x, s.y + gap + arm);
      ctx.stroke();
    }
  }
}
