/**
 * Loading the current frame's labels: one FrameSync per frame (it saves edits,
 * keeps drafts and reports conflicts), the editor reloaded when the frame
 * loads, and a retry when the load failed and the browser is back online.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { getFrameLabels, putFrameLabels } from '../api/frameLabels';
import { browserStorage } from '../drafts';
import { editorLoadFrame, type EditorState } from '../state';
import { FrameSync, resendDrafts, type SyncDeps, type SyncSnapshot } from '../sync';

export const syncDeps: SyncDeps = {
  load: getFrameLabels,
  save: putFrameLabels,
  storage: browserStorage(),
  isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine),
};

export interface FrameLabels {
  syncRef: { readonly current: FrameSync | null };
  sync: SyncSnapshot | null;
  loadError: unknown;
  /** The node list appears once the first frame has loaded, so a click right after it shows is not lost. */
  firstLoaded: boolean;
  /** The frame whose labels are loaded (editing waits for it). */
  loadedFrame: number | null;
  /** Load the frame again (the lock holder left, a suggestion was accepted). */
  reload(): void;
}

export function useFrameLabels(opts: {
  videoId: number;
  frameIndex: number;
  canEdit: boolean;
  /** Read at load time: someone else holds the frame lock. */
  lockBlocksRef: { readonly current: boolean };
  editorRef: { readonly current: EditorState };
  setEditor(s: EditorState): void;
}): FrameLabels {
  const { videoId, frameIndex, canEdit, lockBlocksRef, editorRef, setEditor } = opts;
  const syncRef = useRef<FrameSync | null>(null);
  const [sync, setSync] = useState<SyncSnapshot | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [loadAttempt, setLoadAttempt] = useState(0);
  const loadFailed = useRef(false);
  const [firstLoaded, setFirstLoaded] = useState(false);
  const [loadedFrame, setLoadedFrame] = useState<number | null>(null);
  const reload = useCallback(() => setLoadAttempt((n) => n + 1), []);

  useEffect(() => {
    const frameSync = new FrameSync(videoId, frameIndex, syncDeps);
    syncRef.current = frameSync;
    setSync(frameSync.snapshot);
    const unsubscribe = frameSync.subscribe(setSync);
    setLoadError(null);
    loadFailed.current = false;
    setLoadedFrame(null);
    setEditor({ ...editorLoadFrame(editorRef.current, [], frameIndex), editable: false });
    let live = true;
    frameSync.load().then(
      ({ instances }) => {
        if (!live) return;
        setEditor({
          ...editorLoadFrame(editorRef.current, instances, frameIndex),
          editable: canEdit && !lockBlocksRef.current,
        });
        setFirstLoaded(true);
        setLoadedFrame(frameIndex);
      },
      (err: unknown) => {
        if (!live) return;
        loadFailed.current = true;
        setLoadError(err);
      },
    );
    return () => {
      live = false;
      unsubscribe();
      frameSync.dispose();
      if (syncRef.current === frameSync) syncRef.current = null;
    };
  }, [videoId, frameIndex, canEdit, setEditor, editorRef, lockBlocksRef, loadAttempt]);

  // Back online: retry this frame and resend drafts of other frames.
  useEffect(() => {
    const resend = () => {
      if (canEdit) void resendDrafts(videoId, editorRef.current.frameIndex, syncDeps).catch(() => undefined);
    };
    const onOnline = () => {
      if (loadFailed.current) reload();
      syncRef.current?.retry();
      resend();
    };
    resend();
    window.addEventListener('online', onOnline);
    return () => window.removeEventListener('online', onOnline);
  }, [videoId, canEdit, editorRef, reload]);

  return { syncRef, sync, loadError, firstLoaded, loadedFrame, reload };
}
