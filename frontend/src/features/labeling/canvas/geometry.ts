/**
 * Coordinate spaces of the labeling canvas and the pure transforms between them.
 *
 * - `ImagePoint`: pixels of the original video frame, continuous (sub-pixel)
 *   coordinates where pixel (i, j) covers [i, i+1) x [j, j+1). This is the only
 *   space that is stored and sent to the API.
 * - `ScreenPoint`: CSS pixels relative to the canvas element's top-left corner
 *   (what pointer events give after subtracting the bounding rect).
 *
 * A `Viewport` maps image → screen as `screen = image * scale + offset`.
 * Both point types are branded so one cannot be passed where the other is
 * expected; build them with `imagePoint()` / `screenPoint()`.
 */

declare const imageBrand: unique symbol;
declare const screenBrand: unique symbol;

export type ImagePoint = { readonly x: number; readonly y: number } & { readonly [imageBrand]: true };
export type ScreenPoint = { readonly x: number; readonly y: number } & { readonly [screenBrand]: true };

export const imagePoint = (x: number, y: number): ImagePoint => ({ x, y }) as ImagePoint;
export const screenPoint = (x: number, y: number): ScreenPoint => ({ x, y }) as ScreenPoint;

export interface Size {
  width: number;
  height: number;
}

/** image → screen: `screen = image * scale + (offsetX, offsetY)`. */
export interface Viewport {
  scale: number;
  offsetX: number;
  offsetY: number;
}

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 64;

export const IDENTITY_VIEWPORT: Viewport = { scale: 1, offsetX: 0, offsetY: 0 };

export function imageToScreen(p: ImagePoint, vp: Viewport): ScreenPoint {
  return screenPoint(p.x * vp.scale + vp.offsetX, p.y * vp.scale + vp.offsetY);
}

export function screenToImage(p: ScreenPoint, vp: Viewport): ImagePoint {
  return imagePoint((p.x - vp.offsetX) / vp.scale, (p.y - vp.offsetY) / vp.scale);
}

export function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/**
 * Zoom by `factor` keeping the image point under `anchor` fixed on screen
 * (zoom around the cursor). The scale is clamped to [MIN_SCALE, MAX_SCALE].
 */
export function zoomAt(vp: Viewport, anchor: ScreenPoint, factor: number): Viewport {
  const scale = clampScale(vp.scale * factor);
  const ratio = scale / vp.scale;
  return {
    scale,
    offsetX: anchor.x - (anchor.x - vp.offsetX) * ratio,
    offsetY: anchor.y - (anchor.y - vp.offsetY) * ratio,
  };
}

/** Wheel delta (pixels, positive = scroll down) → zoom factor (scroll up zooms in). */
export function wheelZoomFactor(deltaY: number): number {
  return Math.exp(-deltaY * 0.0015);
}

/** Move the view by a screen-space delta. */
export function panBy(vp: Viewport, dx: number, dy: number): Viewport {
  return { ...vp, offsetX: vp.offsetX + dx, offsetY: vp.offsetY + dy };
}

/** Largest scale at which the whole image fits the canvas, centred, with `margin` CSS px around. */
export function fitViewport(image: Size, canvas: Size, margin = 8): Viewport {
  if (image.width <= 0 || image.height <= 0 || canvas.width <= 0 || canvas.height <= 0) {
    return IDENTITY_VIEWPORT;
  }
  const availW = Math.max(1, canvas.width - 2 * margin);
  const availH = Math.max(1, canvas.height - 2 * margin);
  const scale = clampScale(Math.min(availW / image.width, availH / image.height));
  return {
    scale,
    offsetX: (canvas.width - image.width * scale) / 2,
    offsetY: (canvas.height - image.height * scale) / 2,
  };
}

/** Whether an image point lies inside the image bounds. */
export function isInsideImage(p: ImagePoint, image: Size): boolean {
  return p.x >= 0 && p.y >= 0 && p.x <= image.width && p.y <= image.height;
}

export function distance(a: { x: number; y: number }, b: { x: number; y: number }): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** Clamp an image point into the image bounds (dragging a point past the edge). */
export function clampToImage(p: ImagePoint, image: Size): ImagePoint {
  return imagePoint(Math.min(image.width, Math.max(0, p.x)), Math.min(image.height, Math.max(0, p.y)));
}
