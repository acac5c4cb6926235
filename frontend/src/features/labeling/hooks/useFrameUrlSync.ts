/**
 * Keeps `?frame=` and the editor's frame in step without a feedback loop.
 *
 * The editor owns the frame: when it moves, the URL is rewritten (replace, no
 * history entry). The URL drives the editor only when it changes to something
 * this hook did not write (back / forward, a link to `?frame=N`). The earlier
 * two-way version compared both sides on every change; when a navigation to
 * another video changed the URL under a page still showing the old video, the
 * two effects bounced the frame between two values forever, and every bounce
 * locked, unlocked and loaded a frame (hundreds of requests a minute).
 */
import { useEffect, useRef } from 'react';
import { useSearchParams } from 'react-router-dom';

/** `?frame=N`, clamped to the video; 0 when absent or invalid. */
export function parseFrameParam(value: string | null, frameCount: number | null): number {
  const n = Number(value ?? 0);
  if (!Number.isInteger(n) || n < 0) return 0;
  return frameCount ? Math.min(n, frameCount - 1) : n;
}

/** The frame the URL asks for when the page opens (read once by the caller). */
export function useUrlFrame(frameCount: number | null): number {
  const [params] = useSearchParams();
  return parseFrameParam(params.get('frame'), frameCount);
}

export function useFrameUrlSync(frameIndex: number, frameCount: number | null, goTo: (frameIndex: number) => void): void {
  const [params, setParams] = useSearchParams();
  const urlFrame = parseFrameParam(params.get('frame'), frameCount);
  // Through refs: react-router gives `setParams` a new identity on every URL
  // change, and an effect depending on it would write the old frame back.
  const paramsRef = useRef(params);
  paramsRef.current = params;
  const setParamsRef = useRef(setParams);
  setParamsRef.current = setParams;
  /** The last frame written to (or accepted from) the URL. */
  const known = useRef(urlFrame);

  // Editor → URL, only when the editor's frame changes.
  useEffect(() => {
    known.current = frameIndex;
    if (paramsRef.current.get('frame') === String(frameIndex)) return;
    setParamsRef.current(
      (p) => {
        p.set('frame', String(frameIndex));
        return p;
      },
      { replace: true },
    );
  }, [frameIndex]);

  // URL → editor, only for changes that did not come from the effect above.
  useEffect(() => {
    if (urlFrame === known.current) return;
    known.current = urlFrame;
    goTo(urlFrame);
  }, [urlFrame, goTo]);
}
