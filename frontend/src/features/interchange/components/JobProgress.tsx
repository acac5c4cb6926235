import type { ImportExportJob } from '../../../types/api';
import { describeJob, isFinished } from '../poll';

/** Progress bar + status line of an import/export job (a failure's text is shown by the caller). */
export function JobProgress({ job, testId }: { job: ImportExportJob; testId: string }) {
  return (
    <div className="interchange-job" data-testid={testId} data-status={job.status}>
      {!isFinished(job) && (
        <progress max={1} value={job.status === 'queued' ? undefined : job.progress} aria-label="Job progress" />
      )}
      <span>{job.status === 'failed' ? 'Failed' : describeJob(job)}</span>
    </div>
  );
}
