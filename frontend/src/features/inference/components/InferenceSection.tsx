/**
 * "Run model on videos": the run form and the project's runs (polled while
 * any is active). Model versions come from the caller (they live with
 * training); the video list is loaded here.
 */
import { Link } from 'react-router-dom';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import { useAsync } from '../../../lib/useAsync';
import type { InferenceRun, TrainingJob } from '../../../types/api';
import { getVideosForInference } from '../api/inference';
import { useInferenceRuns } from '../useInferenceRuns';
import { RunForm, type VersionChoice } from './RunForm';
import { RunRow } from './RunRow';

interface Props {
  projectId: number;
  versions: readonly VersionChoice[];
  /** Annotator or higher. */
  canRun: boolean;
  /** Route of the suggestions review page. */
  suggestionsHref: string;
  /** In-page anchor of the training section. */
  trainingHref?: string;
  onRetrained?: (job: TrainingJob) => void;
  onRunsFinished?: (runs: InferenceRun[]) => void;
  /** Whether the viewer may cancel a run started by `createdBy` (its starter, owners); default: `canRun`. */
  mayCancel?: (createdBy: string | null) => boolean;
  /** The project's animal count (null: unknown): tracking's default max animals. */
  maxInstances?: number | null;
}

export function InferenceSection({
  projectId,
  versions,
  canRun,
  suggestionsHref,
  trainingHref = '#training',
  onRetrained,
  onRunsFinished,
  mayCancel,
  maxInstances = null,
}: Props) {
  const inference = useInferenceRuns(projectId, onRunsFinished);
  // Videos are only needed to start runs: loaded once there is a model to run.
  const needVideos = canRun && versions.length > 0;
  const videos = useAsync(
    (signal) => (needVideos ? getVideosForInference(projectId, signal) : Promise.resolve(undefined)),
    [projectId, needVideos],
  );
  const frames = (videoId: number) => videos.data?.find((v) => v.id === videoId)?.frame_count ?? null;
  const runs = inference.runs;

  return (
    <section className="card inference" data-testid="inference" id="inference">
      <div className="panel-title">
        <h2>Run model on videos</h2>
        <Link to={suggestionsHref} data-testid="link-suggestions">
          Suggested frames to label →
        </Link>
      </div>
      {canRun && (
        <>
          <ErrorMessage error={videos.error} testId="run-videos-error" />
          <RunForm
            versions={versions}
            videos={videos.data}
            onStart={inference.start}
            starting={inference.starting}
            error={inference.startError}
            maxInstances={maxInstances}
          />
        </>
      )}
      <h3>Runs {inference.polling && <span className="muted small">(updating…)</span>}</h3>
      <ErrorMessage error={inference.error} testId="runs-error" />
      <ErrorMessage error={inference.cancelError} testId="run-cancel-error" />
      {!runs && !inference.error && <Loading />}
      {runs && runs.length === 0 && <p className="muted">No runs yet.</p>}
      {runs && runs.length > 0 && (
        <ul className="job-list" data-testid="run-list">
          {runs.map((run) => (
            <RunRow
              key={run.id}
              run={run}
              totalFrames={frames(run.video)}
              canRun={canRun}
              canCancel={canRun && (mayCancel ? mayCancel(run.created_by) : true)}
              onCancel={inference.cancel}
              onRetrained={onRetrained}
              trainingHref={trainingHref}
              onRetrack={inference.retrack}
              maxInstances={maxInstances}
            />
          ))}
        </ul>
      )}
    </section>
  );
}
