import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import type { InferenceRun, TrackingSettings } from '../../../types/api';
import { isRetrackActive } from '../runs';
import { buildTracking, trackingFormFrom, type TrackingForm } from '../tracking';
import { TrackingFieldset } from './TrackingFieldset';

interface Props {
  run: InferenceRun;
  /** Absent: the viewer may not re-track (only the newest re-tracking's state is shown). */
  onRetrack?: (runId: number, tracking: TrackingSettings | null) => Promise<void>;
  maxInstances: number | null;
}

/** A finished run's newest re-tracking (state, error) and the "Re-track" action with its settings. */
export function RetrackPanel({ run, onRetrack, maxInstances }: Props) {
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState<TrackingForm>(() => trackingFormFrom(run.tracking, maxInstances));
  const [sending, setSending] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const job = run.retrack;
  const active = isRetrackActive(run);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const built = buildTracking(form);
    if ('error' in built) {
      setFormError(built.error);
      return;
    }
    setFormError(null);
    setError(null);
    setSending(true);
    try {
      await onRetrack!(run.id, built.tracking);
      setOpen(false);
    } catch (err) {
      setError(err);
    } finally {
      setSending(false);
    }
  };

  return (
    <div className="run-retrack small">
      {job && (active || job.status === 'failed') && (
        <p className={job.status === 'failed' ? 'error' : 'muted'} data-testid={`retrack-status-${run.id}`}>
          Re-tracking {job.status}
          {job.message && `: ${job.message}`}
          {job.status === 'failed' && job.error && ` (${job.error.split('\n')[0]})`}
        </p>
      )}
      {onRetrack && !open && (
        <button
          type="button"
          className="secondary"
          disabled={active}
          onClick={() => {
            setForm(trackingFormFrom(run.tracking, maxInstances));
            setOpen(true);
          }}
          data-testid={`retrack-${run.id}`}
          title="Give the animals identities again with other settings, without re-running the model"
        >
          {active ? 'Re-tracking…' : 'Re-track'}
        </button>
      )}
      {onRetrack && open && (
        <form className="run-form" onSubmit={submit} noValidate data-testid={`retrack-form-${run.id}`}>
          <TrackingFieldset value={form} onChange={setForm} testId={`retrack-${run.id}-tracking`} toggle={false} />
          <button type="submit" disabled={sending} data-testid={`retrack-start-${run.id}`}>
            {sending ? 'Starting…' : 'Re-track'}
          </button>{' '}
          <button type="button" className="link" onClick={() => setOpen(false)}>
            cancel
          </button>
          {formError && (
            <div className="error" role="alert" data-testid={`retrack-form-error-${run.id}`}>
              {formError}
            </div>
          )}
        </form>
      )}
      <ErrorMessage error={error} testId={`retrack-error-${run.id}`} />
    </div>
  );
}
