/**
 * The labeling page: wires the pure editor (state + actions), the canvas host
 * and the per-frame saver (FrameSync) together. It owns no drawing or
 * geometry logic itself.
 *
 * Frame changes: an action moves `frameIndex` → the frame effect disposes the
 * previous frame's FrameSync (which flushes pending edits; they are also in
 * the localStorage draft), loads the new frame and resets the undo history.
 *
 * Team labeling: each open frame is locked (useFrameLock: acquire, 30 s
 * heartbeat, release on leave); a frame someone else holds is read-only with a
 * "locked by X" banner (owners and reviewers may "edit anyway": saves are still
 * guarded by version, so a crossing save opens the conflict panel). Presence,
 * "my frames" and the labeled-frame list are polled (useWorkspaceLists); N
 * claims the next frame, Ctrl+Enter submits.
 *
 * Several animals: the project says how many a frame may hold
 * (`max_instances`, null = unknown) and which tracks exist; with more than one
 * the instance panel appears and each instance is drawn in its track's colour
 * with its name (instanceStyle). A project of one animal looks as it always did.
 *
 * Each concern with its own effect lives in a hook under ../hooks: loading the
 * frame (useFrameLabels), the URL (useFrameUrlSync, one-way per change so it
 * cannot loop), the lock, the prediction, the side lists and what the labels
 * teach ("copy previous", the mean pose: useLabelTemplates). A claim that lands
 * in another video navigates there; LabelingRoute then mounts a fresh page for
 * that video.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { ErrorMessage } from '../../../components/ErrorMessage';
import type { LabeledFrameTeam, Project, Role, Skeleton, User, Video } from '../../../types/api';
import { frameImageUrl } from '../api/frameImage';
import { acceptCorrectedSuggestion } from '../api/predictions';
import { nextFrameForMe as claimNextFrame, submitFrame as postSubmit } from '../api/team';
import {
  copyPrevious,
  cyclePointVisibility,
  findKeyAction,
  fitToScreen,
  goToFrame,
  moveInstance,
  movePoint,
  nextFrame,
  nextFrameForMe,
  placePoint,
  previousFrame,
  redo,
  save,
  selectInstance,
  selectNode,
  selectPrediction,
  submitFrame,
  toggleHelp,
  toggleHistory,
  toggleKeyboardMode,
  togglePredictions,
  undo,
  usePrediction,
} from '../actions/register';
import { currentPrediction } from '../actions/predictionActions';
import { modKey, runAction, type Action } from '../actions/types';
import { useFrameLabels } from '../hooks/useFrameLabels';
import { useFrameLock } from '../hooks/useFrameLock';
import { useFramePrediction } from '../hooks/useFramePrediction';
import type { ModelPrediction } from '../api/predictions';
import { parseFrameParam, useFrameUrlSync } from '../hooks/useFrameUrlSync';
import { useLabelTemplates } from '../hooks/useLabelTemplates';
import { PRESENCE_POLL_MS, useWorkspaceLists } from '../hooks/useWorkspaceLists';
import { instanceViews } from '../instanceStyle';
import {
  currentPose,
  editorCreate,
  editorInstances,
  editorLoadFrame,
  isMultiAnimal,
  posePoints,
  type EditorState,
} from '../state';
import { predictionFromApi } from '../prediction';
import { ConflictPanel } from './ConflictPanel';
import { FrameNav } from './FrameNav';
import { HelpPanel } from './HelpPanel';
import { InstancePanel } from './InstancePanel';
import { LabeledFrameList } from './LabeledFrameList';
import { isTextInput, LabelingCanvas } from './LabelingCanvas';
import { NodeList } from './NodeList';
import { SaveBar } from './SaveBar';
import { HistoryPanel, LockBanner, MyFramesStrip, PresenceList, ReviewCommentBanner } from './TeamPanels';
import { Toolbar } from './Toolbar';

export { parseFrameParam, PRESENCE_POLL_MS };

const TOOLBAR: readonly Action[] = [undo, redo, fitToScreen, toggleKeyboardMode, copyPrevious, toggleHistory, toggleHelp];
const TEAM_TOOLBAR: readonly Action[] = [nextFrameForMe, submitFrame];
const PREDICTION_TOOLBAR: readonly Action[] = [usePrediction];

/** `?suggestion=N`: the suggestion this frame was opened for (accepted with the corrected points). */
export function parseSuggestionParam(value: string | null): number | null {
  return value && /^\d+$/.test(value) ? Number(value) : null;
}

/** The project settings the workspace needs: how many animals, which tracks (absent: one animal). */
export type LabelingProject = Pick<Project, 'max_instances' | 'tracks'>;

const SINGLE_ANIMAL: LabelingProject = { max_instances: 1, tracks: [] };

export function LabelingPage({
  video,
  skeleton,
  role,
  me = null,
  project = SINGLE_ANIMAL,
}: {
  video: Video;
  skeleton: Skeleton;
  role: Role;
  me?: User | null;
  project?: LabelingProject;
}) {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const urlFrame = parseFrameParam(params.get('frame'), video.frame_count);
  const canEdit = role !== 'viewer';
  const canOverrideLock = role === 'owner' || role === 'reviewer';

  const [editor, setEditorState] = useState<EditorState>(() =>
    editorCreate({
      skeleton,
      frameIndex: urlFrame,
      frameCount: video.frame_count,
      editable: false,
      canLabel: canEdit,
      frameSize: video.width && video.height ? { width: video.width, height: video.height } : null,
      maxInstances: project.max_instances ?? null,
      tracks: project.tracks,
    }),
  );
  const editorRef = useRef(editor);
  const setEditor = useCallback((s: EditorState) => {
    editorRef.current = s;
    setEditorState(s);
  }, []);

  const [fitRequest, setFitRequest] = useState(0);
  const frameIndex = editor.frameIndex;
  const lockBlocksRef = useRef(false);
  const { syncRef, sync, loadError, firstLoaded, loadedFrame, reload } = useFrameLabels({
    videoId: video.id,
    frameIndex,
    canEdit,
    lockBlocksRef,
    editorRef,
    setEditor,
  });
  // The holder left: reload so we edit on top of what they saved.
  const { lock, override: lockOverride, setOverride: setLockOverride } = useFrameLock(video.id, frameIndex, canEdit, reload);
  const lockBlocks = lock?.status === 'locked' && !lockOverride;
  lockBlocksRef.current = lockBlocks;
  const [teamMessage, setTeamMessage] = useState<string | null>(null);
  const [teamError, setTeamError] = useState<unknown>(null);
  /** Opened from the suggestions page: the suggestion and its frame (fixed for this page). */
  const [suggestion] = useState(() => {
    const id = parseSuggestionParam(params.get('suggestion'));
    return id === null ? null : { id, frameIndex: urlFrame };
  });
  const [suggestionAccepted, setSuggestionAccepted] = useState(false);
  const [accepting, setAccepting] = useState(false);

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
      if (result.effect === 'nextForMe') void effectsRef.current.claimNext();
      if (result.effect === 'submit') void effectsRef.current.submit();
    },
    [setEditor],
  );
  const effectsRef = useRef({ claimNext: async () => {}, submit: async () => {} });

  // Messages belong to the frame they were about.
  useEffect(() => {
    setTeamMessage(null);
    setTeamError(null);
  }, [video.id, frameIndex]);

  // Editable = may label, frame loaded, and nobody else holds it (unless overridden).
  useEffect(() => {
    const ed = editorRef.current;
    const want = canEdit && loadedFrame === frameIndex && !lockBlocks;
    if (ed.editable !== want) setEditor({ ...ed, editable: want });
  }, [canEdit, loadedFrame, frameIndex, lockBlocks, setEditor]);

  const goToFrameIndex = useCallback((n: number) => dispatch(goToFrame, { frameIndex: n }), [dispatch]);
  useFrameUrlSync(frameIndex, video.frame_count, goToFrameIndex);

  // Keyboard shortcuts from the action registry.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTextInput(e.target) && !modKey(e, 's', false)) return;
      const action = findKeyAction(e, editorRef.current);
      if (!action) return;
      e.preventDefault();
      dispatch(action, action.fromKey?.(e));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dispatch]);

  // The model's prediction for this frame (latest run on the video); none yet → no layer.
  const onPrediction = useCallback(
    (p: ModelPrediction | null) => {
      const ed = editorRef.current;
      if (!p && !ed.prediction) return;
      setEditor({ ...ed, prediction: p ? predictionFromApi(p, ed.nodeIds) : null });
    },
    [setEditor],
  );
  useFramePrediction(video.id, frameIndex, onPrediction);

  // Opened for a suggestion: load the prediction as the editable pose once (undoable), if the frame is empty.
  const autoApplied = useRef(false);
  const framePrediction = currentPrediction(editor);
  useEffect(() => {
    if (!suggestion || autoApplied.current || frameIndex !== suggestion.frameIndex) return;
    const ed = editorRef.current;
    if (loadedFrame !== frameIndex || !ed.editable || !framePrediction) return;
    autoApplied.current = true;
    if (Object.keys(currentPose(ed).points).length === 0) dispatch(usePrediction, undefined);
  }, [suggestion, frameIndex, loadedFrame, editor.editable, framePrediction, dispatch]);

  const acceptCorrected = async () => {
    const s = syncRef.current;
    if (!s || !suggestion) return;
    setTeamMessage(null);
    setTeamError(null);
    setAccepting(true);
    try {
      await s.saveNow();
      if (s.snapshot.status !== 'saved') {
        setTeamMessage('Save the frame first (resolve the conflict or wait until it is saved), then accept.');
        return;
      }
      const ed = editorRef.current;
      const points = posePoints(ed).filter((p) => ed.nodeIds.includes(p.node));
      if (!points.length) {
        setTeamMessage('Place the points first (U uses the prediction), then accept.');
        return;
      }
      await acceptCorrectedSuggestion(suggestion.id, points, s.snapshot.version);
      setSuggestionAccepted(true);
      setTeamMessage(`Suggestion accepted: frame ${suggestion.frameIndex} is labeled with your corrected points.`);
      reload(); // the accept saved a new version of the frame
    } catch (err) {
      setTeamError(err);
    } finally {
      setAccepting(false);
    }
  };

  // Warm the browser cache with the next frame.
  useEffect(() => {
    if (video.frame_count !== null && frameIndex + 1 >= video.frame_count) return;
    new Image().src = frameImageUrl(video.id, frameIndex + 1);
  }, [video.id, video.frame_count, frameIndex]);

  const points = currentPose(editor).points;
  const multi = isMultiAnimal(editor);
  // Instances we do not edit (model instances): drawn faint, as before.
  const others = useMemo(() => editor.base.instances.filter((i) => i.source !== 'human'), [editor.base]);
  const doc = editor.history.present;
  const views = useMemo(() => instanceViews(editorRef.current), [doc, editor.activeInstance, editor.tracks, editor.maxInstances]);

  // Refreshed after each successful save (the server version changes), after a submit and on a poll.
  const savedVersion = sync?.server?.version ?? 0;
  const projectId = video.project;
  const { labeledFrames, myFrames, presence, refresh: refreshLists, reloadPresence } = useWorkspaceLists({
    projectId,
    videoId: video.id,
    canEdit,
    frameIndex,
    savedVersion,
  });
  const shownLabeledFrames = useMemo(
    () => (labeledFrames.data ?? []).filter((f) => f.version > 0),
    [labeledFrames.data],
  );

  useLabelTemplates(labeledFrames.data, frameIndex, editorRef, setEditor);

  useEffect(() => reloadPresence(), [lock?.status, reloadPresence]);

  const goToVideoFrame = useCallback(
    (videoId: number, n: number) => {
      if (videoId === video.id) dispatch(goToFrame, { frameIndex: n });
      else navigate(`/projects/${projectId}/videos/${videoId}/label?frame=${n}`);
    },
    [video.id, projectId, dispatch, navigate],
  );

  effectsRef.current.claimNext = async () => {
    setTeamMessage(null);
    setTeamError(null);
    try {
      const next = await claimNextFrame(projectId);
      refreshLists();
      if (!next) {
        setTeamMessage('Nothing left to label: every frame is done, submitted or taken by someone else.');
        return;
      }
      if (next.video === video.id && next.frame_index === editorRef.current.frameIndex) {
        setTeamMessage('This frame is the next one for you.');
        return;
      }
      goToVideoFrame(next.video, next.frame_index);
    } catch (err) {
      setTeamError(err);
    }
  };

  effectsRef.current.submit = async () => {
    const s = syncRef.current;
    if (!s) return;
    setTeamMessage(null);
    setTeamError(null);
    await s.saveNow();
    if (s.snapshot.status !== 'saved') {
      setTeamMessage('Save the frame first (resolve the conflict or wait until it is saved), then submit.');
      return;
    }
    try {
      const frame = await postSubmit(video.id, s.frameIndex, s.snapshot.version);
      s.setServerFrame(frame as never);
      setTeamMessage(`Frame ${s.frameIndex} submitted for review. Press N for the next frame.`);
      refreshLists();
    } catch (err) {
      setTeamError(err);
    }
  };

  const keepMine = () => void syncRef.current?.keepMine();
  const takeTheirs = () => {
    const s = syncRef.current;
    if (s) setEditor({ ...editorLoadFrame(editorRef.current, s.takeTheirs()), editable: editorRef.current.editable });
  };

  const server = sync?.server as LabeledFrameTeam | null | undefined;
  const comment = server?.latest_comment ?? null;
  const showComment = comment !== null && (server?.status === 'rejected' || (comment.decision === 'reject' && !comment.resolved));
  const pinnedNodeId = showComment ? comment.node : null;
  const videoName = (id: number) => myFrames.data?.find((f) => f.video === id)?.video_name ?? `video ${id}`;
  const crosshair = editor.crosshair;
  const activeName = skeleton.nodes.find((n) => n.id === editor.activeNodeId)?.name ?? null;
  const predictionLayer = useMemo(
    () => (editor.predictionsShown && framePrediction ? framePrediction.instances.map((i) => i.points) : null),
    [editor.predictionsShown, framePrediction],
  );

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
        {canEdit && <Toolbar actions={TEAM_TOOLBAR} state={editor} run={(a) => dispatch(a, undefined)} />}
        {sync && <SaveBar sync={sync} editable={canEdit && !lockBlocks} onSave={() => dispatch(save, undefined)} />}
      </div>
      {lock && (
        <LockBanner
          lock={lock}
          overridden={lockOverride}
          canOverride={canOverrideLock}
          onOverride={() => setLockOverride(true)}
        />
      )}
      {showComment && comment && <ReviewCommentBanner comment={comment} status={server?.status ?? ''} skeleton={skeleton} />}
      {teamMessage && (
        <p className="notice" data-testid="team-message" role="status">
          {teamMessage}
        </p>
      )}
      <ErrorMessage error={teamError} testId="team-error" />
      {suggestion && canEdit && (
        <div className="notice suggestion-bar" data-testid="suggestion-bar">
          {suggestionAccepted ? (
            <span data-testid="suggestion-accepted">Suggestion #{suggestion.id} accepted.</span>
          ) : frameIndex === suggestion.frameIndex ? (
            <>
              <span>Suggested frame: correct the model’s points, then</span>
              <button
                type="button"
                data-testid="accept-corrected"
                disabled={accepting || !editor.editable}
                onClick={(e) => {
                  e.currentTarget.blur();
                  void acceptCorrected();
                }}
              >
                {accepting ? 'Accepting…' : 'Accept corrected'}
              </button>
            </>
          ) : (
            <button type="button" className="secondary" onClick={() => dispatch(goToFrame, { frameIndex: suggestion.frameIndex })}>
              Back to suggested frame {suggestion.frameIndex}
            </button>
          )}
          <Link to={`/projects/${video.project}/suggestions`} data-testid="back-to-suggestions">
            Suggestions
          </Link>
        </div>
      )}
      {framePrediction && (
        <div className="prediction-bar" data-testid="prediction-bar">
          <button
            type="button"
            className={editor.predictionsShown ? 'secondary checked' : 'secondary'}
            aria-pressed={editor.predictionsShown}
            data-testid="toggle-predictions"
            title={`${togglePredictions.label} (P)`}
            onClick={(e) => {
              dispatch(togglePredictions, undefined);
              e.currentTarget.blur();
            }}
          >
            Model v{framePrediction.modelVersionNumber} prediction
          </button>
          {multi && framePrediction.instances.length > 1 && (
            <span className="predicted-instances" data-testid="predicted-instances">
              {framePrediction.instances.map((inst, i) => (
                <button
                  key={i}
                  type="button"
                  className={editor.activePrediction === i ? 'secondary checked' : 'secondary'}
                  aria-pressed={editor.activePrediction === i}
                  data-testid={`predicted-${i}`}
                  onClick={(e) => {
                    dispatch(selectPrediction, { index: editor.activePrediction === i ? null : i });
                    e.currentTarget.blur();
                  }}
                >
                  {inst.track ?? `#${i + 1}`}
                  {inst.score !== null ? ` ${inst.score.toFixed(2)}` : ''}
                </button>
              ))}
            </span>
          )}
          <Toolbar actions={PREDICTION_TOOLBAR} state={editor} run={(a) => dispatch(a, undefined)} />
          {multi && framePrediction.instances.length > 1 && (
            <span className="muted small">
              {editor.activePrediction === null ? 'U uses every predicted instance' : 'U uses the picked instance'}
            </span>
          )}
        </div>
      )}
      {crosshair && (
        <p
          className="notice keyboard-mode"
          data-testid="keyboard-mode"
          data-x={crosshair.x}
          data-y={crosshair.y}
        >
          Keyboard mode: crosshair at ({crosshair.x.toFixed(0)}, {crosshair.y.toFixed(0)}). Arrows move it (Shift: 1 px),
          Enter places {activeName ?? 'the next node'}, Tab picks a node, Esc leaves.
        </p>
      )}
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
          crosshair={crosshair}
          pinnedNodeId={pinnedNodeId}
          predictions={predictionLayer}
          activePrediction={editor.activePrediction}
          activeStyle={views.activeStyle}
          instances={multi ? views.others : undefined}
          onPlace={(point) => dispatch(placePoint, { point })}
          onMove={(nodeId, point) => dispatch(movePoint, { nodeId, point })}
          onSelect={(nodeId) => dispatch(selectNode, { nodeId })}
          onCycleVisibility={(nodeId) => dispatch(cyclePointVisibility, { nodeId })}
          onSelectInstance={multi ? (index, nodeId) => dispatch(selectInstance, { index, nodeId }) : undefined}
          onMoveInstance={
            multi ? (dx, dy) => dispatch(moveInstance, { index: editorRef.current.activeInstance, dx, dy }) : undefined
          }
        />
        <aside className="labeling-side">
          {sync?.conflict && (
            <ConflictPanel
              skeleton={skeleton}
              theirs={sync.conflict}
              mine={sync.mine ?? []}
              tracks={editor.tracks}
              onKeepMine={keepMine}
              onTakeTheirs={takeTheirs}
            />
          )}
          {multi && firstLoaded && <InstancePanel editor={editor} nodeCount={skeleton.nodes.length} dispatch={dispatch} />}
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
          <p className="muted small">Press ? for shortcuts · K for keyboard-only placement.</p>
          {editor.historyOpen && (
            <HistoryPanel
              videoId={video.id}
              frameIndex={frameIndex}
              version={savedVersion}
              skeleton={skeleton}
              onClose={() => dispatch(toggleHistory, undefined)}
            />
          )}
          {canEdit && myFrames.data && (
            <MyFramesStrip frames={myFrames.data} videoId={video.id} frameIndex={frameIndex} onGoTo={goToVideoFrame} />
          )}
          {presence.data && (
            <PresenceList
              presence={presence.data}
              meId={me?.id ?? (lock?.status === 'held' ? (lock.holder?.id ?? null) : null)}
              videoId={video.id}
              videoName={videoName}
              onGoTo={goToVideoFrame}
            />
          )}
          {labeledFrames.data && (
            <LabeledFrameList
              frames={shownLabeledFrames}
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
