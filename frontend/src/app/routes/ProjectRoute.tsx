import { useCallback, useMemo, useState } from 'react';
import { useParams } from 'react-router-dom';
import { useAuth } from '../auth';
import { mayCancelJob } from '../../lib/jobPermissions';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Loading } from '../../components/Loading';
import { useAsync, type AsyncState } from '../../lib/useAsync';
import type { ModelVersion, Role, TrainingJob } from '../../types/api';
import { InferenceSection } from '../../features/inference/components/InferenceSection';
import { getModelVersions } from '../../features/models/api/modelVersions';
import { ModelsSection } from '../../features/models/components/ModelsSection';
import { trainPresetOf } from '../../features/models/metrics';
import { ExportPanel } from '../../features/interchange/components/ExportPanel';
import { getProject } from '../../features/projects/api/projects';
import { ProjectSummary } from '../../features/projects/components/ProjectSummary';
import { getSkeleton } from '../../features/skeletons/api/skeleton';
import { SkeletonView } from '../../features/skeletons/components/SkeletonView';
import { TrainingSection } from '../../features/training/components/TrainingSection';
import { useTrainingJobs } from '../../features/training/useTrainingJobs';
import { ProjectVideos } from '../../features/videos/components/ProjectVideos';
import { ProjectTeamSection } from './ProjectTeamSection';

/** Roles that may start and cancel training jobs. */
const TRAIN_ROLES: readonly Role[] = ['owner', 'reviewer', 'annotator'];

export function ProjectRoute() {
  const projectId = Number(useParams().projectId);
  const project = useAsync((signal) => getProject(projectId, signal), [projectId]);
  const skeleton = useAsync((signal) => getSkeleton(projectId, signal), [projectId]);
  // Model versions feed both training (warm start) and inference (which model to run).
  const versions = useAsync((signal) => getModelVersions(projectId, signal), [projectId]);
  const versionChoices = useMemo(() => (versions.data ?? []).map((v) => ({ id: v.id, number: v.number })), [versions.data]);
  /** Bumped when a job is started outside the training section (retrain from a run): its list reloads. */
  const [trainingEpoch, setTrainingEpoch] = useState(0);
  const onRetrained = useCallback(() => setTrainingEpoch((n) => n + 1), []);
  const { user } = useAuth();
  const myRole = project.data?.my_role;
  const mayCancel = useCallback((createdBy: string | null) => !!myRole && mayCancelJob(createdBy, user, myRole), [user, myRole]);

  if (project.error) return <ErrorMessage error={project.error} />;
  if (!project.data) return <Loading />;
  return (
    <div className="page">
      <ProjectSummary project={project.data} />
      <ProjectTeamSection projectId={projectId} role={project.data.my_role} />
      <ErrorMessage error={skeleton.error} />
      {skeleton.data && <SkeletonView skeleton={skeleton.data} />}
      <ProjectVideos projectId={projectId} canUpload={project.data.my_role === 'owner'} />
      <div id="training" className="section-group">
        <ProjectTraining
          key={trainingEpoch}
          projectId={projectId}
          canTrain={TRAIN_ROLES.includes(project.data.my_role)}
          versions={versions}
          mayCancel={mayCancel}
        />
      </div>
      <InferenceSection
        projectId={projectId}
        versions={versionChoices}
        canRun={TRAIN_ROLES.includes(project.data.my_role)}
        suggestionsHref={`/projects/${projectId}/suggestions`}
        onRetrained={onRetrained}
        mayCancel={mayCancel}
        maxInstances={project.data.max_instances}
      />
      <ExportPanel projectId={projectId} />
    </div>
  );
}

/**
 * Training jobs and model versions of a project. The two features do not know
 * each other: this wires "a job succeeded" to reloading the versions, the
 * versions into the warm-start select and "train from this version" to a new job.
 */
function ProjectTraining({
  projectId,
  canTrain,
  versions,
  mayCancel,
}: {
  projectId: number;
  canTrain: boolean;
  versions: AsyncState<ModelVersion[]>;
  mayCancel: (createdBy: string | null) => boolean;
}) {
  const reloadVersions = versions.reload;
  const onFinished = useCallback(
    (jobs: TrainingJob[]) => {
      if (jobs.some((j) => j.status === 'succeeded')) reloadVersions();
    },
    [reloadVersions],
  );
  const training = useTrainingJobs(projectId, onFinished);
  const list = versions.data;
  const versionOptions = useMemo(() => (list ?? []).map((v) => ({ id: v.id, number: v.number })), [list]);
  const versionLabel = useCallback(
    (id: number) => {
      const n = list?.find((v) => v.id === id)?.number;
      return n === undefined ? `#${id}` : `v${n}`;
    },
    [list],
  );
  const { start } = training;
  const trainFrom = useCallback(
    (v: ModelVersion) => void start({ preset: trainPresetOf(v), parent_version: v.id, include_unreviewed: true }),
    [start],
  );

  return (
    <>
      <TrainingSection
        training={training}
        canTrain={canTrain}
        versions={versionOptions}
        versionLabel={versionLabel}
        mayCancel={mayCancel}
        projectId={projectId}
      />
      <ModelsSection
        versions={versions.data}
        error={versions.error}
        onTrainFrom={canTrain ? trainFrom : undefined}
        trainDisabled={training.starting}
      />
    </>
  );
}
