/**
 * Host of the labeling <canvas>. Thin: it owns the DOM element, the viewport
 * and the pointer gesture, and forwards everything else to the pure modules:
 * geometry (screen ↔ image), hitTest, gesture and render. The static layer
 * (frame + committed pose) is cached in an offscreen canvas and redrawn only
 * when it changes; the interactive layer (hover, active ring, drag) is drawn
 * on top of a copy of it on every pointer move.
 */
import { useEffect, useRef, useState } from 'react';
import type { Instance, Skeleton } from '../../../types/api';
import {
  clampToImage,
  fitViewport,
  IDENTITY_VIEWPORT,
  isInsideImage,
  panBy,
  screenPoint,
  screenToImage,
  wheelZoomFactor,
  zoomAt,
  type ImagePoint,
  type ScreenPoint,
  type Size,
  type Viewport,
} from '../canvas/geometry';
import { gestureEnd, gestureMove, gestureStart, IDLE, type Gesture } from '../canvas/gesture';
import { hitTestInstances, hitTestPoint } from '../canvas/hitTest';
import {
  renderFrame,
  renderHalo,
  renderHandles,
  renderInstances,
  renderMarkers,
  renderPredictions,
  renderSkeleton,
  renderTrackedInstance,
  withoutNode,
  type InstanceStyle,
  type PointMap,
  type PredictionMap,
} from '../canvas/render';
import { predictionAlpha } from '../prediction';

export interface LabelingCanvasProps {
  skeleton: Skeleton;
  imageUrl: string;
  /** Used until the image has loaded (video width/height). */
  fallbackSize: Size;
  points: PointMap;
  otherInstances: readonly Instance[];
  activeNodeId: number | null;
  editable: boolean;
  /** Incremented to ask for "fit to screen". */
  fitRequest: number;
  /** Keyboard placement crosshair (image pixels), if the mode is on. */
  crosshair?: { x: number; y: number } | null;
  /** Node a review comment is pinned to (highlighted). */
  pinnedNodeId?: number | null;
  /** The model's predicted instances, drawn faint under the pose (null / absent: none). */
  predictions?: readonly PredictionMap[] | null;
  /** The predicted instance picked for U (drawn stronger). */
  activePrediction?: number | null;
  /** Several animals: the active instance's track colour and name (null: single-animal look). */
  activeStyle?: InstanceStyle | null;
  /** Several animals: the other editable instances, each in its track colour; `index` in the frame's list. */
  instances?: readonly { index: number; points: PointMap; style: InstanceStyle }[];
  /** A selected instance to make stand out (read-only views): a halo drawn under the poses. */
  halo?: { points: PointMap; color: string } | null;
  onPlace(point: ImagePoint): void;
  onMove(nodeId: number, point: ImagePoint): void;
  onSelect(nodeId: number): void;
  onCycleVisibility(nodeId: number): void;
  /** A click on another instance's point. */
  onSelectInstance?(index: number, nodeId: number): void;
  /** Shift+drag: the active instance moved by (dx, dy) image pixels. */
  onMoveInstance?(dx: number, dy: number): void;
}

const NO_INSTANCES: NonNullable<LabelingCanvasProps['instances']> = [];


export function LabelingCanvas(props: LabelingCanvasProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const staticRef = useRef<HTMLCanvasElement | null>(null);
  const viewport = useRef<Viewport>(IDENTITY_VIEWPORT);
  const fitted = useRef(false);
  const size = useRef<Size>({ width: 0, height: 0 });
  const gesture = useRef<Gesture>(IDLE);
  const hover = useRef<number | null>(null);
  const spaceHeld = useRef(false);
  const staticDirty = useRef(true);
  const frameRequest = useRef(0);
  // The image and the URL it was loaded from: while the next frame loads, the previous
  // frame's picture must not stay on screen under the new frame number (people labeled it).
  const [loaded, setLoaded] = useState<{ url: string; img: HTMLImageElement } | null>(null);
  const image = loaded?.url === props.imageUrl ? loaded.img : null;
  const [imageError, setImageError] = useState(false);
  const [cursor, setCursor] = useState('crosshair');
  const propsRef = useRef(props);
  propsRef.current = props;

  const imageSize = (): Size =>
    image && image.naturalWidth > 0 ? { width: image.naturalWidth, height: image.naturalHeight } : props.fallbackSize;
  const imageSizeRef = useRef(imageSize);
  imageSizeRef.current = imageSize;

  const draggedNode = () => (gesture.current.kind === 'drag' && !gesture.current.whole ? gesture.current.nodeId : null);
  const draggingWhole = () => gesture.current.kind === 'drag' && gesture.current.whole === true;

  function draw() {
    frameRequest.current = 0;
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const p = propsRef.current;
    const dpr = window.devicePixelRatio || 1;
    const vp = viewport.current;
    if (!staticRef.current) staticRef.current = document.createElement('canvas');
    const layer = staticRef.current;
    if (layer.width !== canvas.width || layer.height !== canvas.height) {
      layer.width = canvas.width;
      layer.height = canvas.height;
      staticDirty.current = true;
    }
    const sctx = layer.getContext('2d');
    if (staticDirty.current && sctx) {
      sctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      renderFrame(sctx, image, imageSizeRef.current(), vp, size.current);
      if (p.halo) renderHalo(sctx, p.skeleton, p.halo.points, vp, p.halo.color);
      renderInstances(sctx, p.skeleton, p.otherInstances, vp);
      (p.predictions ?? []).forEach((pred, i) => {
        const picked = p.activePrediction === i;
        renderPredictions(sctx, p.skeleton, pred, vp, picked ? (score) => Math.min(1, predictionAlpha(score) + 0.3) : predictionAlpha);
      });
      for (const inst of p.instances ?? NO_INSTANCES) renderTrackedInstance(sctx, p.skeleton, inst.points, vp, inst.style);
      if (!draggingWhole()) renderSkeleton(sctx, p.skeleton, withoutNode(p.points, draggedNode()), vp, p.activeStyle);
      staticDirty.current = false;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(layer, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const g = gesture.current;
    const drag =
      g.kind === 'drag' && !g.whole && p.points[g.nodeId]
        ? {
            nodeId: g.nodeId,
            point: { ...p.points[g.nodeId]!, ...clampToImage(screenToImage(g.current, vp), imageSizeRef.current()) },
          }
        : null;
    const dragInstance = g.kind === 'drag' && g.whole ? { points: shifted(p.points, g.start, g.current), style: p.activeStyle ?? null } : null;
    renderHandles(ctx, p.skeleton, p.points, vp, { activeNodeId: p.activeNodeId, hoverNodeId: hover.current, drag, dragInstance });
    renderMarkers(ctx, p.points, vp, { crosshair: p.crosshair ?? null, pinnedNodeId: p.pinnedNodeId ?? null });
  }

  /** The points moved by a screen drag from `from` to `to` (image-space delta). */
  function shifted(points: PointMap, from: ScreenPoint, to: ScreenPoint): PointMap {
    const { dx, dy } = imageDelta(from, to);
    const out: Record<number, PointMap[number]> = {};
    for (const [node, pt] of Object.entries(points)) out[Number(node)] = { ...pt, x: pt.x + dx, y: pt.y + dy };
    return out;
  }

  function imageDelta(from: ScreenPoint, to: ScreenPoint) {
    const a = screenToImage(from, viewport.current);
    const b = screenToImage(to, viewport.current);
    return { dx: b.x - a.x, dy: b.y - a.y };
  }

  const drawRef = useRef(draw);
  drawRef.current = draw;

  function requestDraw(staticToo: boolean) {
    if (staticToo) staticDirty.current = true;
    if (!frameRequest.current) frameRequest.current = requestAnimationFrame(() => drawRef.current());
  }

  function fit() {
    viewport.current = fitViewport(imageSizeRef.current(), size.current);
    fitted.current = size.current.width > 0;
    requestDraw(true);
  }

  // Load the frame image.
  useEffect(() => {
    let live = true;
    const url = props.imageUrl;
    const img = new Image();
    img.onload = () => {
      if (!live) return;
      setImageError(false);
      setLoaded({ url, img });
    };
    img.onerror = () => live && setImageError(true);
    img.src = url;
    return () => {
      live = false;
    };
  }, [props.imageUrl]);

  // First image (or a different frame size): fit to screen.
  const lastImageSize = useRef('');
  useEffect(() => {
    if (!image) {
      requestDraw(true); // blank until the new frame is in: never the old picture
      return;
    }
    const key = `${image.naturalWidth}x${image.naturalHeight}`;
    if (key !== lastImageSize.current) {
      lastImageSize.current = key;
      fit();
    } else {
      requestDraw(true);
    }
  }, [image]);

  useEffect(() => {
    if (props.fitRequest > 0) fit();
  }, [props.fitRequest]);

  useEffect(
    () => requestDraw(true),
    [props.points, props.otherInstances, props.skeleton, props.predictions, props.instances, props.activeStyle, props.activePrediction, props.halo],
  );
  useEffect(() => requestDraw(false), [props.activeNodeId, props.crosshair, props.pinnedNodeId]);

  // Track the element size; keep the backing store at devicePixelRatio.
  useEffect(() => {
    const container = containerRef.current;
    const canvas = canvasRef.current;
    if (!container || !canvas) return;
    const resize = () => {
      const dpr = window.devicePixelRatio || 1;
      const { width, height } = container.getBoundingClientRect();
      size.current = { width, height };
      canvas.width = Math.max(1, Math.round(width * dpr));
      canvas.height = Math.max(1, Math.round(height * dpr));
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
      if (!fitted.current) fit();
      else requestDraw(true);
    };
    resize();
    const observer = new ResizeObserver(resize);
    observer.observe(container);
    return () => observer.disconnect();
  }, []);

  // Wheel zoom needs a non-passive listener to prevent page scroll.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const scale = e.deltaMode === 1 ? 16 : 1;
      viewport.current = zoomAt(viewport.current, toScreen(e), wheelZoomFactor(e.deltaY * scale));
      requestDraw(true);
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  }, []);

  // Space held → pan mode.
  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (e.key === ' ' && !isTextInput(e.target)) {
        spaceHeld.current = true;
        setCursor('grab');
        e.preventDefault();
      }
    };
    const up = (e: KeyboardEvent) => {
      if (e.key === ' ') {
        spaceHeld.current = false;
        setCursor('crosshair');
      }
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
    };
  }, []);

  function toScreen(e: { clientX: number; clientY: number }): ScreenPoint {
    const rect = canvasRef.current!.getBoundingClientRect();
    return screenPoint(e.clientX - rect.left, e.clientY - rect.top);
  }

  function onPointerDown(e: React.PointerEvent<HTMLCanvasElement>) {
    if (e.button === 2) return; // handled by onContextMenu
    const screen = toScreen(e);
    const hit = hitTestPoint(props.points, screen, viewport.current);
    if (hit === null && e.button === 0 && !spaceHeld.current && pickOther(screen)) return;
    gesture.current = gestureStart({
      button: e.button,
      screen,
      hitNodeId: hit,
      spaceHeld: spaceHeld.current,
      editable: props.editable,
      shiftKey: e.shiftKey && props.onMoveInstance !== undefined,
    });
    if (gesture.current.kind !== 'idle') capturePointer(e.currentTarget, e.pointerId, true);
    if (gesture.current.kind === 'pan') setCursor('grabbing');
    if (gesture.current.kind === 'drag') requestDraw(true);
  }

  /**
   * A press on another instance's point picks that instance instead of placing
   * a point (predicted instances are picked in the prediction bar, so a click
   * on a good prediction still places the node there).
   */
  function pickOther(screen: ScreenPoint): boolean {
    const other = hitTestInstances(props.instances ?? NO_INSTANCES, screen, viewport.current);
    if (!other || !props.onSelectInstance) return false;
    props.onSelectInstance(props.instances![other.index]!.index, other.nodeId);
    return true;
  }

  function onPointerMove(e: React.PointerEvent<HTMLCanvasElement>) {
    const screen = toScreen(e);
    const g = gesture.current;
    if (g.kind === 'idle') {
      const hit = hitTestPoint(props.points, screen, viewport.current);
      if (hit !== hover.current) {
        hover.current = hit;
        setCursor(hit !== null && props.editable ? 'move' : spaceHeld.current ? 'grab' : 'crosshair');
        requestDraw(false);
      }
      return;
    }
    const { gesture: next, pan } = gestureMove(g, screen);
    gesture.current = next;
    if (pan) {
      viewport.current = panBy(viewport.current, pan.dx, pan.dy);
      setCursor('grabbing');
      requestDraw(true);
    } else if (next.kind === 'drag') {
      requestDraw(false);
    }
  }

  function onPointerUp(e: React.PointerEvent<HTMLCanvasElement>) {
    const g = gesture.current;
    gesture.current = IDLE;
    capturePointer(e.currentTarget, e.pointerId, false);
    setCursor(spaceHeld.current ? 'grab' : 'crosshair');
    const outcome = gestureEnd(g, toScreen(e));
    const vp = viewport.current;
    const imgSize = imageSizeRef.current();
    if (outcome?.type === 'click') {
      const p = screenToImage(outcome.screen, vp);
      if (isInsideImage(p, imgSize)) props.onPlace(p);
    } else if (outcome?.type === 'move') {
      props.onMove(outcome.nodeId, clampToImage(screenToImage(outcome.screen, vp), imgSize));
    } else if (outcome?.type === 'moveInstance') {
      const { dx, dy } = imageDelta(outcome.from, outcome.to);
      props.onMoveInstance?.(dx, dy);
    } else if (outcome?.type === 'select') {
      props.onSelect(outcome.nodeId);
    }
    requestDraw(g.kind === 'drag');
  }


  function onContextMenu(e: React.MouseEvent<HTMLCanvasElement>) {
    e.preventDefault();
    const hit = hitTestPoint(props.points, toScreen(e), viewport.current);
    if (hit !== null) props.onCycleVisibility(hit);
  }

  return (
    <div className="canvas-host" ref={containerRef}>
      <canvas
        ref={canvasRef}
        data-testid="label-canvas"
        style={{ cursor }}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={() => {
          gesture.current = IDLE;
          requestDraw(true);
        }}
        onContextMenu={onContextMenu}
      />
      {imageError && <div className="canvas-message error">Could not load this frame image.</div>}
      {!image && !imageError && (
        <div className="canvas-message" data-testid="frame-loading">
          Loading frame…
        </div>
      )}
    </div>
  );
}

export function isTextInput(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** Pointer capture keeps drags alive outside the canvas; absent in some test DOMs. */
function capturePointer(el: Element, pointerId: number, on: boolean): void {
  try {
    if (on) el.setPointerCapture(pointerId);
    else if (el.hasPointerCapture(pointerId)) el.releasePointerCapture(pointerId);
  } catch {
    // Not supported (jsdom) or pointer already gone.
  }
}
