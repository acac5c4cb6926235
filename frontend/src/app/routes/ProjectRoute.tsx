import { useParams } from 'react-router-dom';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Loading } from '../../components/Loading';
import { useAsync } from '../../lib/useAsync';
import { getProject } from '../../features/projects/api/projects';
import { ProjectSummary } from '../../features/projects/components/ProjectSummary';
import { getSkeleton } from '../../features/skeletons/api/skeleton';
import { SkeletonView } from '../../features/skeletons/components/SkeletonView';
import { ProjectVideos } from '../../features/videos/components/ProjectVideos';

export function ProjectRoute() {
  const projectId = Number(useParams().projectId);
  const project = useAsync((signal) => getProject(projectId, signal), [projectId]);
  const skeleton = useAsync((signal) => getSkeleton(projectId, signal), [projectId]);

  if (project.error) return <ErrorMessage error={project.error} />;
  if (!project.data) return <Loading />;
  return (
    <div className="page">
      <ProjectSummary project={project.data} />
      <ErrorMessage error={skeleton.error} />
      {skeleton.data && <SkeletonView skeleton={skeleton.data} />}
      <ProjectVideos projectId={projectId} canUpload={project.data.my_role === 'owner'} />
    </div>
  );
}
