/**
 * The model's prediction for the open frame (latest run on the video). No model
 * yet, or an error, means no prediction layer; neither is shown as an error.
 */
import { useEffect, useRef } from 'react';
import { getFramePrediction, type ModelPrediction } from '../api/predictions';

/**
 * Calls `onChange(null)` when the frame changes and `onChange(prediction)` once
 * it arrives. `onChange` is read through a ref, so it may be a fresh closure.
 */
export function useFramePrediction(videoId: number, frameIndex: number, onChange: (p: ModelPrediction | null) => void): void {
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(() => {
    const controller = new AbortController();
    onChangeRef.current(null);
    getFramePrediction(videoId, frameIndex, controller.signal).then(
      (p) => {
        if (!controller.signal.aborted && p) onChangeRef.current(p);
      },
      () => undefined,
    );
    return () => controller.abort();
  }, [videoId, frameIndex]);
}
