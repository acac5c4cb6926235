import { useState } from 'react';
import type { TrainingJob } from '../../../types/api';
import { DASH, formatDateTime, formatDuration } from '../format';
import { isActive } from '../jobs';
import { unlabeledText } from '../unlabeled';
import { ProgressBar } from './ProgressBar';

interface Props {
  job: TrainingJob;
  canCancel: boolean;
  onCancel: (jobId: number) => Promise<void>;
  selected: boolean;
  onSelect: (jobId: number) => void;
  versionLabel?: (versionId: number) => string;
}

function stepText(job: TrainingJob): string {
  if (!job.step && !job.total_steps) return DASH;
  return job.total_steps ? `${job.step} / ~${job.total_steps}` : String(job.step);
}

/** One training job: status, progress, counters, message / error, cancel. */
export function JobRow({ job, canCancel, onCancel, selected, onSelect, versionLabel }: Props) {
  const [cancelling, setCancelling] = useState(false);
  const active = isActive(job);
  const label = versionLabel ?? ((id: number) => `#${id}`);

  const cancel = async () => {
    setCancelling(true);
    try {
      await onCancel(job.id);
    } finally {
      setCancelling(false);
    }
  };

  return (
    <li className={`job${selected ? ' selected' : ''}`} data-testid={`job-${job.id}`} data-status={job.status}>
      <div className="job-head">
        <strong>Job #{job.id}</strong>
        <span className={`badge status-${job.status}`} data-testid={`job-status-${job.id}`}>
          {job.status}
        </span>
        <span>{job.preset}</span>
        {job.parent_version != null && <span className="muted">warm start from {label(job.parent_version)}</span>}
        {job.model_version != null && <span>→ model {label(job.model_version)}</span>}
        {unlabeledText(job) && <span className="muted small" data-testid={`job-unlabeled-${job.id}`}>{unlabeledText(job)}</span>}
        <span className="muted small">
          by {job.created_by ?? DASH}, {formatDateTime(job.created_at)}
        </span>
        <span className="job-actions">
          <button
            type="button"
            className={`secondary${selected ? ' checked' : ''}`}
            aria-pressed={selected}
            onClick={() => onSelect(job.id)}
            data-testid={`show-loss-${job.id}`}
          >
            Loss chart
          </button>
          {canCancel && active && (
            <button
              type="button"
              className="secondary"
              disabled={cancelling || job.cancel_requested}
              onClick={cancel}
              data-testid={`cancel-job-${job.id}`}
            >
              {job.cancel_requested ? 'Cancelling…' : 'Cancel'}
            </button>
          )}
        </span>
      </div>
      <ProgressBar fraction={job.progress} testId={`job-progress-${job.id}`} />
      <dl className="job-facts small">
        <dt>Stage</dt>
        <dd>{job.stage || DASH}</dd>
        <dt>Epoch</dt>
        <dd>{active || job.epoch ? job.epoch : DASH}</dd>
        <dt>Step</dt>
        <dd>{stepText(job)}</dd>
        <dt>ETA</dt>
        <dd data-testid={`job-eta-${job.id}`}>{active ? formatDuration(job.eta_seconds) : DASH}</dd>
        <dt>Frames</dt>
        <dd>
          {job.snapshot.frame_count}
          {(job.split.val?.length ?? 0) > 0 && (
            <span className="muted">
              {' '}
              ({job.split.train?.length ?? 0} train / {job.split.val?.length ?? 0} val
              {(job.split.test?.length ?? 0) > 0 && ` / ${job.split.test?.length} test`})
            </span>
          )}
        </dd>
        <dt>Worker</dt>
        <dd>
          {job.worker || DASH}
          {job.attempt > 1 && <span className="muted"> (attempt {job.attempt})</span>}
        </dd>
        {job.finished_at && (
          <>
            <dt>Finished</dt>
            <dd>{formatDateTime(job.finished_at)}</dd>
          </>
        )}
      </dl>
      {job.message && <div className="job-message">{job.message}</div>}
      {job.error && (
        <details className="job-error error" data-testid={`job-error-${job.id}`}>
          <summary>{job.error.split('\n')[0]}</summary>
          <pre>{job.error}</pre>
        </details>
      )}
    </li>
  );
}
