import { useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import { useAsync } from '../../../lib/useAsync';
import { getTrainingPresets } from '../api/training';
import { chartJob } from '../jobs';
import type { TrainingJobs } from '../useTrainingJobs';
import { JobList } from './JobList';
import { LossChart } from './LossChart';
import { PretrainPanel } from './PretrainPanel';
import { TrainForm, type VersionOption } from './TrainForm';

interface Props {
  training: TrainingJobs;
  /** Annotator or higher: may start and cancel jobs. */
  canTrain: boolean;
  versions: readonly VersionOption[];
  versionLabel?: (versionId: number) => string;
  /** Whether the viewer may cancel a job started by `createdBy` (its starter, owners); default: anyone who may train. */
  mayCancel?: (createdBy: string | null) => boolean;
  /** Shows encoder pretraining (unlabeled frames) for this project when given. */
  projectId?: number;
}

/** Train form, job list (polled by `training`) and the loss chart of the chosen / newest job. */
export function TrainingSection({ training, canTrain, versions, versionLabel, mayCancel, projectId }: Props) {
  const presets = useAsync((signal) => getTrainingPresets(signal), []);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const jobs = training.jobs;
  const shown = jobs ? chartJob(jobs, selectedId) : undefined;

  return (
    <section className="card training" data-testid="training">
      <h2>Training</h2>
      {canTrain && (
        <>
          <ErrorMessage error={presets.error} testId="presets-error" />
          <TrainForm
            presets={presets.data}
            versions={versions}
            onStart={training.start}
            starting={training.starting}
            error={training.startError}
          />
        </>
      )}
      {projectId != null && <PretrainPanel projectId={projectId} canStart={canTrain} mayCancel={mayCancel} />}
      <h3>Jobs {training.polling && <span className="muted small">(updating…)</span>}</h3>
      <ErrorMessage error={training.error} testId="jobs-error" />
      <ErrorMessage error={training.cancelError} testId="cancel-error" />
      {!jobs && !training.error && <Loading />}
      {jobs && (
        <JobList
          jobs={jobs}
          canCancel={(job) => canTrain && (mayCancel ? mayCancel(job.created_by) : true)}
          onCancel={training.cancel}
          selectedId={shown?.id ?? null}
          onSelect={setSelectedId}
          versionLabel={versionLabel}
        />
      )}
      {shown && <LossChart history={shown.history} title={`Job #${shown.id} (${shown.status})`} />}
    </section>
  );
}
