/**
 * The labeling page: wires the pure editor (state + actions), the canvas host
 * and the per-frame saver (FrameSync) together. It owns no drawing or
 * geometry logic itself.
 *
 * Frame changes: an action moves `frameIndex` → the frame effect disposes the
 * previous frame's FrameSync (which flushes pending edits; they are also in
 * the localStorage draft), loads the new frame and resets the undo history.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { useAsync } from '../../../lib/useAsync';
import type { Role, Skeleton, Video } from '../../../types/api';
import { getFrameLabels, putFrameLabels } from '../api/frameLabels';
import { getLabeledFrames } from '../api/labeledFrames';
import { frameImageUrl } from '../api/frameImage';
import {
  cyclePointVisibility,
  findKeyAction,
  fitToScreen,
  goToFrame,
  movePoint,
  nextFrame,
  placePoint,
  previousFrame,
  redo,
  save,
  selectNode,
  toggleHelp,
  undo,
} from '../actions/register';
import { modKey, runAction, type Action } from '../actions/types';
import { browserStorage } from '../drafts';
import { currentPose, editorCreate, editorInstances, editorLoadFrame, type EditorState } from '../state';
import { FrameSync, resendDrafts, type SyncDeps, type SyncSnapshot } from '../sync';
import { ConflictPanel } from './ConflictPanel';
import { FrameNav } from './FrameNav';
import { HelpPanel } from './HelpPanel';
import { LabeledFrameList } from './LabeledFrameList';
import { isTextInput, LabelingCanvas } from './LabelingCanvas';
import { NodeList } from './NodeList';
import { SaveBar } from './SaveBar';
import { Toolbar } from './Toolbar';

const syncDeps: SyncDeps = {
  load: getFrameLabels,
  save: putFrameLabels,
  storage: browserStorage(),
  isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine),
};

const TOOLBAR: readonly Action[] = [undo, redo, fitToScreen, toggleHelp];

/** `?frame=N`, clamped to the video; 0 when absent or invalid. */
export function parseFrameParam(value: string | null, frameCount: number | null): number {
  const n = Number(value ?? 0);
  if (!Number.isInteger(n) || n < 0) return 0;
  return frameCount ? Math.min(n, frameCount - 1) : n;
}

export function LabelingPage({ video, skeleton, role }: { video: Video; skeleton: Skeleton; role: Role }) {
  const [params, setParams] = useSearchParams();
  const urlFrame = parseFrameParam(params.get('frame'), video.frame_count);
  const canEdit = role !== 'viewer';

  const [editor, setEditorState] = useState<EditorState>(() =>
    editorCreate({ skeleton, frameIndex: urlFrame, frameCount: video.frame_count, editable: false }),
  );
  const editorRef = useRef(editor);
  const setEditor = useCallback((s: EditorState) => {
    editorRef.current = s;
    setEditorState(s);
  }, []);

  const syncRef = useRef<FrameSync | null>(null);
  const [sync, setSync] = useState<SyncSnapshot | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [fitRequest, setFitRequest] = useState(0);
  /** Bumped to retry loading the frame (after a failed load, when back online). */
  const [loadAttempt, setLoadAttempt] = useState(0);
  const loadFailed = useRef(false);
  /** The node list appears once the first frame has loaded, so a click right after it shows is not lost. */
  const [firstLoaded, setFirstLoaded] = useState(false);

  const dispatch = useCallback(
    <P,>(action: Action<P>, payload: P) => {
      const prev = editorRef.current;
      const result = runAction(action, prev, payload);
      if (!result) return;
      setEditor(result.state);
      if (result.state.history !== prev.history && result.state.frameIndex === prev.frameIndex) {
        syncRef.current?.edit(editorInstances(result.state));
      }
      if (result.effect === 'save') void syncRef.current?.saveNow();
      if (result.effect === 'fit') setFitRequest((n) => n + 1);
    },
    [setEditor],
  );

  // Load the current frame's labels; one FrameSync per frame.
  const frameIndex = editor.frameIndex;
  useEffect(() => {
    const frameSync = new FrameSync(video.id, frameIndex, syncDeps);
    syncRef.current = frameSync;
    setSync(frameSync.snapshot);
    const unsubscribe = frameSync.subscribe(setSync);
    setLoadError(null);
    loadFailed.current = false;
    setEditor({ ...editorLoadFrame(editorRef.current, [], frameIndex), editable: false });
    let live = true;
    frameSync.load().then(
      ({ instances }) => {
        if (!live) return;
        setEditor({ ...editorLoadFrame(editorRef.current, instances, frameIndex), editable: canEdit });
        setFirstLoaded(true);
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
  }, [video.id, frameIndex, canEdit, setEditor, loadAttempt]);

  // Keep ?frame= in step with the editor, both ways.
  useEffect(() => {
    if (urlFrame !== editorRef.current.frameIndex) dispatch(goToFrame, { frameIndex: urlFrame });
  }, [urlFrame, dispatch]);
  useEffect(() => {
    if (params.get('frame') === String(frameIndex)) return;
    setParams(
      (p) => {
        p.set('frame', String(frameIndex));
        return p;
      },
      { replace: true },
    );
  }, [frameIndex, params, setParams]);

  // Back online: retry this frame and resend drafts of other frames.
  useEffect(() => {
    const resend = () => {
      if (canEdit) void resendDrafts(video.id, editorRef.current.frameIndex, syncDeps).catch(() => undefined);
    };
    const onOnline = () => {
      if (loadFailed.current) setLoadAttempt((n) => n + 1);
      syncRef.current?.retry();
      resend();
    };
    resend();
    window.addEventListener('online', onOnline);
    return () => window.removeEventListener('online', onOnline);
  }, [video.id, canEdit]);

  // Keyboard shortcuts from the action registry.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTextInput(e.target) && !modKey(e, 's', false)) return;
      const action = findKeyAction(e);
      if (!action) return;
      e.preventDefault();
      dispatch(action, undefined);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dispatch]);

  // Warm the browser cache with the next frame.
  useEffect(() => {
    if (video.frame_count !== null && frameIndex + 1 >= video.frame_count) return;
    new Image().src = frameImageUrl(video.id, frameIndex + 1);
  }, [video.id, video.frame_count, frameIndex]);

  const points = currentPose(editor).points;
  const others = useMemo(
    () => editor.base.instances.filter((_, i) => i !== editor.base.mineIndex),
    [editor.base],
  );

  // Refreshed after each successful save (the server version changes).
  const savedVersion = sync?.server?.version ?? 0;
  const labeledFrames = useAsync((signal) => getLabeledFrames(video.id, signal), [video.id, frameIndex, savedVersion]);

  const keepMine = () => void syncRef.current?.keepMine();
  const takeTheirs = () => {
    const s = syncRef.current;
    if (s) setEditor({ ...editorLoadFrame(editorRef.current, s.takeTheirs()), editable: canEdit });
  };

  return (
    <div className="labeling">
      <div className="labeling-bar">
        <strong className="video-name">{video.name}</strong>
        <FrameNav
          frameIndex={frameIndex}
          frameCount={video.frame_count}
          onPrevious={() => dispatch(previousFrame, undefined)}
          onNext={() => dispatch(nextFrame, undefined)}
          onGoTo={(n) => dispatch(goToFrame, { frameIndex: n })}
        />
        <Toolbar actions={TOOLBAR} state={editor} run={(a) => dispatch(a, undefined)} />
        {sync && <SaveBar sync={sync} editable={canEdit} onSave={() => dispatch(save, undefined)} />}
      </div>
      {video.status !== 'ready' && (
        <p className="notice">
          Video status: {video.status}
          {video.error ? ` (${video.error})` : ''}. Frames may not be available yet.
        </p>
      )}
      {!canEdit && <p className="notice">Read-only: viewers cannot save labels.</p>}
      <ErrorMessage error={loadError} testId="load-error" />
      <div className="labeling-main">
        <LabelingCanvas
          skeleton={skeleton}
          imageUrl={frameImageUrl(video.id, frameIndex)}
          fallbackSize={{ width: video.width ?? 640, height: video.height ?? 480 }}
          points={points}
          otherInstances={others}
          activeNodeId={editor.activeNodeId}
          editable={editor.editable}
          fitRequest={fitRequest}
          onPlace={(point) => dispatch(placePoint, { point })}
          onMove={(nodeId, point) => dispatch(movePoint, { nodeId, point })}
          onSelect={(nodeId) => dispatch(selectNode, { nodeId })}
          onCycleVisibility={(nodeId) => dispatch(cyclePointVisibility, { nodeId })}
        />
        <aside className="labeling-side">
          {sync?.conflict && (
            <ConflictPanel
              skeleton={skeleton}
              theirs={sync.conflict}
              mine={sync.mine ?? []}
              onKeepMine={keepMine}
              onTakeTheirs={takeTheirs}
            />
          )}
          <h2>Nodes</h2>
          {firstLoaded ? (
            <NodeList
              skeleton={skeleton}
              points={points}
              activeNodeId={editor.activeNodeId}
              onSelect={(nodeId) => dispatch(selectNode, { nodeId })}
            />
          ) : (
            <p className="muted">Loading labels…</p>
          )}
          <p className="muted small">Press ? for shortcuts.</p>
          {labeledFrames.data && (
            <LabeledFrameList
              frames={labeledFrames.data}
              currentFrame={frameIndex}
              onGoTo={(n) => dispatch(goToFrame, { frameIndex: n })}
            />
          )}
          {editor.helpOpen && <HelpPanel onClose={() => dispatch(toggleHelp, undefined)} />}
        </aside>
      </div>
    </div>
  );
}
