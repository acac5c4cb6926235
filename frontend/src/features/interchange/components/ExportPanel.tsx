import { useState, type FormEvent } from 'react';
import { errorMessage } from '../../../lib/api';
import { useAsync } from '../../../lib/useAsync';
import type { ExportLabelSet, ImportExportJob } from '../../../types/api';
import { FALLBACK_EXPORT_FORMATS, getInterchangeFormats, startExport } from '../api/jobs';
import { useJobPolling } from '../useJobPolling';
import { JobProgress } from './JobProgress';

export interface ExportPanelProps {
  projectId: number;
  /** Poll interval, for tests. */
  pollIntervalMs?: number;
}

/** Which frames an export includes, by review status (the backend's `labels` choice). */
export const LABEL_SET_CHOICES: { value: ExportLabelSet; label: string }[] = [
  { value: 'approved_submitted', label: 'Approved + submitted (default)' },
  { value: 'approved', label: 'Approved only' },
  { value: 'all', label: 'All, including in progress and rejected' },
];

/** Export the project's labels as a zip in one of the backend's formats; links the file when ready. */
export function ExportPanel({ projectId, pollIntervalMs }: ExportPanelProps) {
  const formats = useAsync((signal) => getInterchangeFormats(signal), []);
  const options = (formats.data ?? FALLBACK_EXPORT_FORMATS).filter((f) => f.export);
  const [format, setFormat] = useState('dlc');
  const [labels, setLabels] = useState<ExportLabelSet>('approved_submitted');
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<string | null>(null);
  const [started, setStarted] = useState<ImportExportJob | null>(null);
  const { job, pollError } = useJobPolling(started, undefined, pollIntervalMs);

  const running = starting || (job !== null && job.status !== 'succeeded' && job.status !== 'failed');
  const selected = options.some((f) => f.name === format) ? format : (options[0]?.name ?? '');

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!selected) return;
    setStartError(null);
    setStarted(null);
    setStarting(true);
    try {
      setStarted(await startExport(projectId, { format: selected, labels }));
    } catch (err) {
      setStartError(errorMessage(err));
    } finally {
      setStarting(false);
    }
  }

  const failure = startError ?? (job?.status === 'failed' ? job.error || job.message : null)
    ?? (pollError ? `Lost track of the export: ${errorMessage(pollError)}` : null);

  return (
    <form className="card inline-form interchange-panel" onSubmit={submit} data-testid="export-panel">
      <h2>Export labels</h2>
      <label>
        Format{' '}
        <select
          value={selected}
          onChange={(e) => setFormat(e.target.value)}
          disabled={running}
          data-testid="export-format"
        >
          {options.map((f) => (
            <option key={f.name} value={f.name}>
              {f.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Labels{' '}
        <select
          value={labels}
          onChange={(e) => setLabels(e.target.value as ExportLabelSet)}
          disabled={running}
          data-testid="export-labels"
        >
          {LABEL_SET_CHOICES.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={running || !selected} data-testid="export-button">
        Export
      </button>
      {job && <JobProgress job={job} testId="export-status" />}
      {job?.status === 'succeeded' && job.download_url && (
        <a href={job.download_url} download data-testid="export-download">
          Download the {job.format} zip
        </a>
      )}
      {failure && (
        <div className="error" role="alert" data-testid="export-error">
          {failure}
        </div>
      )}
    </form>
  );
}
