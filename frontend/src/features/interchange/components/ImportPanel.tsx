import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { errorMessage } from '../../../lib/api';
import type { ImportExportJob } from '../../../types/api';
import { IMPORT_ACCEPT, isImportable, uploadImport, type ImportUploadHandle } from '../api/uploadImport';
import { percent } from '../poll';
import { useJobPolling } from '../useJobPolling';
import { JobProgress } from './JobProgress';

export interface ImportPanelProps {
  /** Called once with the new project's id when an import succeeded (e.g. to reload the list). */
  onImported?: (projectId: number) => void;
  /** Poll interval, for tests. */
  pollIntervalMs?: number;
}

/**
 * Import a labeled project (DeepLabCut / COCO / Lightning Pose zip, SLEAP .slp /
 * .pkg.slp, COCO .json): upload with a progress bar, then follow the import job.
 */
export function ImportPanel({ onImported, pollIntervalMs }: ImportPanelProps) {
  const inputRef = useRef<HTMLInputElement>(null);
  const uploadRef = useRef<ImportUploadHandle | null>(null);
  const [name, setName] = useState('');
  const [uploading, setUploading] = useState<number | null>(null);
  const [uploadError, setUploadError] = useState<string | null>(null);
  const [started, setStarted] = useState<ImportExportJob | null>(null);
  const { job, pollError } = useJobPolling(
    started,
    (finished) => {
      if (finished.status === 'succeeded' && finished.project !== null) onImported?.(finished.project);
    },
    pollIntervalMs,
  );

  const running = uploading !== null || (job !== null && job.status !== 'succeeded' && job.status !== 'failed');

  async function submit(e: FormEvent) {
    e.preventDefault();
    const file = inputRef.current?.files?.[0];
    if (!file) {
      setUploadError('Choose a file to import.');
      return;
    }
    if (!isImportable(file.name)) {
      setUploadError(`${file.name} cannot be imported: choose a .zip, .slp, .pkg.slp or .json file.`);
      return;
    }
    setUploadError(null);
    setStarted(null);
    setUploading(0);
    const handle = uploadImport(file, name, setUploading);
    uploadRef.current = handle;
    try {
      setStarted(await handle.promise);
      setName('');
      if (inputRef.current) inputRef.current.value = '';
    } catch (err) {
      setUploadError(errorMessage(err));
    } finally {
      uploadRef.current = null;
      setUploading(null);
    }
  }

  // Files of the project the import could not use (e.g. unreadable DeepLabCut videos/).
  const skipped = job?.result?.videos_skipped ?? [];
  const failure = uploadError ?? (job?.status === 'failed' ? job.error || job.message : null)
    ?? (pollError ? `Lost track of the import: ${errorMessage(pollError)}` : null);

  return (
    <form className="card inline-form interchange-panel" onSubmit={submit} data-testid="import-panel">
      <h2>Import a labeled project</h2>
      <p className="muted interchange-hint">
        A .zip of a DeepLabCut, COCO or Lightning Pose project folder, or a SLEAP .slp (zip it with its
        video) / .pkg.slp file.
      </p>
      <input
        ref={inputRef}
        type="file"
        name="file"
        accept={IMPORT_ACCEPT}
        disabled={running}
        data-testid="import-file"
      />
      <input
        type="text"
        placeholder="Project name (optional)"
        value={name}
        maxLength={200}
        onChange={(e) => setName(e.target.value)}
        disabled={running}
        data-testid="import-name"
      />
      <button type="submit" disabled={running} data-testid="import-button">
        Import
      </button>
      {uploading !== null && (
        <span className="progress" data-testid="import-upload-progress">
          Uploading <progress max={1} value={uploading} /> {percent(uploading)}%
          <button type="button" className="interchange-cancel" onClick={() => uploadRef.current?.abort()}>
            Cancel
          </button>
        </span>
      )}
      {job && <JobProgress job={job} testId="import-status" />}
      {job?.status === 'succeeded' && job.project !== null && (
        <Link to={`/projects/${job.project}`} data-testid="import-project-link">
          Open the imported project
        </Link>
      )}
      {job?.status === 'succeeded' && skipped.length > 0 && (
        <div className="notice interchange-skipped" role="status" data-testid="import-skipped">
          Not imported:
          <ul>
            {skipped.map((s) => (
              <li key={s.name}>
                {s.name}: {s.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      {failure && (
        <div className="error" role="alert" data-testid="import-error">
          {failure}
        </div>
      )}
    </form>
  );
}
