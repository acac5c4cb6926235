/**
 * The lists around the canvas (this video's labeled frames, my frames, who is
 * where) and their counters. They reload when the frame or its saved version
 * changes, when the page calls `refresh()` (after a submit or a claim), and on
 * a poll, so the counters follow what teammates do without a page reload.
 */
import { useCallback, useEffect, useState } from 'react';
import { useAsync } from '../../../lib/useAsync';
import { getLabeledFrames } from '../api/labeledFrames';
import { getMyFrames, getPresence } from '../api/team';

/** How often presence (who is on which frame) is polled. */
export const PRESENCE_POLL_MS = 5000;
/** How often the frame lists and their counters are polled (heavier than presence). */
export const LISTS_POLL_MS = 15000;

export function useWorkspaceLists(opts: { projectId: number; videoId: number; canEdit: boolean; frameIndex: number; savedVersion: number }) {
  const { projectId, videoId, canEdit, frameIndex, savedVersion } = opts;
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((n) => n + 1), []);

  const labeledFrames = useAsync((signal) => getLabeledFrames(videoId, signal), [videoId, frameIndex, savedVersion, tick]);
  const myFrames = useAsync(
    (signal) => (canEdit ? getMyFrames(projectId, signal) : Promise.resolve([])),
    [projectId, canEdit, frameIndex, savedVersion, tick],
  );
  const presence = useAsync((signal) => getPresence(projectId, signal), [projectId, tick]);

  const reloadPresence = presence.reload;
  useEffect(() => {
    const fast = setInterval(reloadPresence, PRESENCE_POLL_MS);
    const slow = setInterval(refresh, LISTS_POLL_MS);
    return () => {
      clearInterval(fast);
      clearInterval(slow);
    };
  }, [reloadPresence, refresh]);

  return { labeledFrames, myFrames, presence, refresh, reloadPresence };
}
