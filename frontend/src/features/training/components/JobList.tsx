import type { TrainingJob } from '../../../types/api';
import { JobRow } from './JobRow';

interface Props {
  jobs: readonly TrainingJob[];
  /** Per job: the Cancel button shows only for its starter and project owners. */
  canCancel: (job: TrainingJob) => boolean;
  onCancel: (jobId: number) => Promise<void>;
  selectedId: number | null;
  onSelect: (jobId: number) => void;
  versionLabel?: (versionId: number) => string;
}

/** The project's training jobs, newest first. */
export function JobList({ jobs, selectedId, canCancel, ...rest }: Props) {
  if (jobs.length === 0) return <p className="muted" data-testid="job-list">No training jobs yet.</p>;
  return (
    <ul className="job-list" data-testid="job-list">
      {jobs.map((job) => (
        <JobRow key={job.id} job={job} selected={job.id === selectedId} canCancel={canCancel(job)} {...rest} />
      ))}
    </ul>
  );
}
