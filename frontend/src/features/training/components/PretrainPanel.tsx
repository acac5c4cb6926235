import { useEffect, useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { useAsync } from '../../../lib/useAsync';
import type { PretrainJob } from '../../../types/api';
import { cancelPretrainJob, getPretrainJobs, startPretrainJob } from '../api/pretrain';
import { isActive, JOB_POLL_MS } from '../jobs';
import { pretrainSummary } from '../unlabeled';
import { ProgressBar } from './ProgressBar';

interface Props {
  projectId: number;
  /** Annotator or higher: may start a pretraining. */
  canStart: boolean;
  /** Whether the viewer may cancel a job started by `createdBy` (its starter, owners). */
  mayCancel?: (createdBy: string | null) => boolean;
}

/**
 * "Pretrain encoder on this project's videos": the latest pretraining job (polled while
 * it runs), a button to start one and one to cancel it. Training jobs with "start from
 * the pretrained encoder" use the latest finished one.
 */
export function PretrainPanel({ projectId, canStart, mayCancel }: Props) {
  const list = useAsync((signal) => getPretrainJobs(projectId, signal), [projectId]);
  const { data, error, reload, setData } = list;
  const latest: PretrainJob | undefined = data?.[0];
  const active = latest ? isActive(latest) : false;
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!active) return;
    const id = setTimeout(reload, JOB_POLL_MS);
    return () => clearTimeout(id);
  }, [active, data, reload]);

  const act = async (call: () => Promise<PretrainJob>) => {
    setBusy(true);
    setActionError(null);
    try {
      const job = await call();
      setData([job, ...(data ?? []).filter((j) => j.id !== job.id)]);
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="pretrain" data-testid="pretrain">
      <h3>Unlabeled frames</h3>
      <p className="muted small">
        Pretraining teaches the networks what this project&apos;s videos look like, without labels. It starts by
        itself when an uploaded video is ready, and training jobs start from the latest one unless you untick
        &ldquo;start from the pretrained encoder&rdquo;.
      </p>
      {latest ? (
        <div data-testid="pretrain-latest" data-status={latest.status}>
          <span>Pretraining #{latest.id} </span>
          <span className={`badge status-${latest.status}`}>{latest.status}</span>{' '}
          <span className="muted small" data-testid="pretrain-summary">{pretrainSummary(latest)}</span>
          {active && <ProgressBar fraction={latest.progress} testId="pretrain-progress" />}
        </div>
      ) : (
        data && <p className="muted small" data-testid="pretrain-none">Not pretrained yet.</p>
      )}
      {canStart && !active && (
        <button type="button" className="secondary" disabled={busy} onClick={() => act(() => startPretrainJob(projectId))} data-testid="pretrain-start">
          Pretrain encoder on this project&apos;s videos
        </button>
      )}
      {latest && active && canStart && (mayCancel ? mayCancel(latest.created_by) : true) && (
        <button type="button" className="secondary" disabled={busy || latest.cancel_requested} onClick={() => act(() => cancelPretrainJob(latest.id))} data-testid="pretrain-cancel">
          Cancel pretraining
        </button>
      )}
      <ErrorMessage error={error ?? actionError} testId="pretrain-error" />
    </div>
  );
}
