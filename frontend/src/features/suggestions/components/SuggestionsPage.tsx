/**
 * The active-learning queue: frames the model asks about, highest score first.
 * Accept saves the prediction as the frame's label; "Correct in workspace"
 * opens the labeling page with the prediction loaded; Dismiss keeps the frame
 * from being suggested again; Assign gives it to a member.
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import { ApiError } from '../../../lib/api';
import { useAsync } from '../../../lib/useAsync';
import type { Role, Skeleton, Suggestion, Track } from '../../../types/api';
import {
  acceptSuggestion,
  assignSuggestion,
  dismissSuggestion,
  getProjectMembers,
  getSuggestions,
  getSuggestionVideos,
} from '../api/suggestions';
import { assignableUsers, sortSuggestions } from '../logic';
import { ALSettingsPanel } from './ALSettingsPanel';
import { SuggestionCard, type CardActions } from './SuggestionCard';

export const PAGE_SIZE = 20;
const NO_TRACKS: readonly Track[] = [];

interface Props {
  projectId: number;
  role: Role;
  /** My username (assigning to myself). */
  me: string | null;
  skeleton: Skeleton;
  /** The project's tracks: predicted animals are drawn in their track's colour. */
  tracks?: readonly Track[];
  /** Animals a frame may hold (null: no cap). */
  maxInstances?: number | null;
  frameUrl(videoId: number, frameIndex: number): string;
  /** The labeling page at a frame, with the suggestion to accept after correcting. */
  correctHref(videoId: number, frameIndex: number, suggestionId: number): string;
}

export function SuggestionsPage({ projectId, role, me, skeleton, tracks = NO_TRACKS, maxInstances = null, frameUrl, correctHref }: Props) {
  const canAct = role !== 'viewer';
  const [video, setVideo] = useState<number | null>(null);
  const [mine, setMine] = useState(false);
  const [shown, setShown] = useState(PAGE_SIZE);
  const list = useAsync((signal) => getSuggestions(projectId, { video, mine }, signal), [projectId, video, mine]);
  const videos = useAsync((signal) => getSuggestionVideos(projectId, signal), [projectId]);
  const members = useAsync(
    (signal) => (canAct ? getProjectMembers(projectId, signal) : Promise.resolve([])),
    [projectId, canAct],
  );
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const rows = useMemo(() => sortSuggestions(list.data ?? []), [list.data]);
  const assignable = useMemo(() => assignableUsers(members.data ?? [], role, me), [members.data, role, me]);
  const size = (videoId: number) => {
    const v = videos.data?.find((x) => x.id === videoId);
    return v?.width && v.height ? { width: v.width, height: v.height } : null;
  };

  const { setData } = list;
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  const replace = useCallback(
    (changed: Suggestion) => {
      const stillListed = changed.status === 'pending' && (!mine || changed.assignee === me);
      setData(
        stillListed
          ? rowsRef.current.map((r) => (r.id === changed.id ? changed : r))
          : rowsRef.current.filter((r) => r.id !== changed.id),
      );
    },
    [mine, me, setData],
  );

  const decide = useCallback(
    async (call: () => Promise<Suggestion>, done: string) => {
      setMessage(null);
      setError(null);
      try {
        replace(await call());
        setMessage(done);
      } catch (err) {
        // Someone else decided it meanwhile: it no longer belongs in the queue.
        if (err instanceof ApiError && err.status === 400 && /already/.test(err.message)) list.reload();
        if (err instanceof ApiError && err.status === 409) {
          setError(new ApiError(409, `${err.message} Use “Correct in workspace” to see the frame's labels.`));
          return;
        }
        setError(err);
      }
    },
    [replace, list],
  );

  const actions: CardActions = {
    accept: (s, body) =>
      decide(
        () => acceptSuggestion(s.id, body),
        body.instances
          ? `Accepted frame ${s.frame_index} of ${s.video_name}: ${body.instances.length} predicted animal(s) added as labels.`
          : `Accepted frame ${s.frame_index} of ${s.video_name}: the prediction is now its label.`,
      ),
    dismiss: (s) => decide(() => dismissSuggestion(s.id), `Dismissed frame ${s.frame_index} of ${s.video_name}.`),
    assign: (s, username) =>
      decide(
        () => assignSuggestion(s.id, username),
        username ? `Frame ${s.frame_index} assigned to ${username}.` : `Frame ${s.frame_index} unassigned.`,
      ),
  };

  const videoIds = [...new Set((list.data ?? []).map((s) => s.video))];
  const videoChoices = (videos.data ?? []).filter((v) => videoIds.includes(v.id) || v.id === video);

  return (
    <div className="suggestions-page">
      <ALSettingsPanel projectId={projectId} canEdit={role === 'owner' || role === 'reviewer'} />
      <div className="suggestions-filters">
        <label>
          Video{' '}
          <select
            value={video ?? ''}
            data-testid="suggestions-video"
            onChange={(e) => setVideo(e.target.value ? Number(e.target.value) : null)}
          >
            <option value="">all</option>
            {videoChoices.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={mine} data-testid="suggestions-mine" onChange={(e) => setMine(e.target.checked)} />{' '}
          assigned to me
        </label>
        <button type="button" className="secondary" onClick={list.reload} data-testid="suggestions-reload">
          Reload
        </button>
        {list.data && (
          <span className="muted small" data-testid="suggestions-count">
            {rows.length} pending
          </span>
        )}
      </div>
      {message && (
        <p className="notice" role="status" data-testid="suggestion-message">
          {message}
        </p>
      )}
      <ErrorMessage error={error} testId="suggestion-error" />
      <ErrorMessage error={list.error} testId="suggestions-error" />
      {!list.data && !list.error && <Loading />}
      {list.data && rows.length === 0 && (
        <p className="muted" data-testid="suggestions-empty">
          No pending suggestions. Run a model on a video (project page) to get some.
        </p>
      )}
      <ul className="suggestion-list" data-testid="suggestion-list">
        {rows.slice(0, shown).map((s, i) => (
          <SuggestionCard
            key={s.id}
            suggestion={s}
            rank={i + 1}
            skeleton={skeleton}
            tracks={tracks}
            maxInstances={maxInstances}
            frameUrl={frameUrl(s.video, s.frame_index)}
            size={size(s.video)}
            correctHref={correctHref(s.video, s.frame_index, s.id)}
            canAct={canAct}
            assignable={assignable}
            actions={actions}
          />
        ))}
      </ul>
      {rows.length > shown && (
        <button type="button" className="secondary" onClick={() => setShown((n) => n + PAGE_SIZE)} data-testid="suggestions-more">
          Show {Math.min(PAGE_SIZE, rows.length - shown)} more of {rows.length - shown}
        </button>
      )}
    </div>
  );
}
