import { useCallback } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Loading } from '../../components/Loading';
import { useAsync } from '../../lib/useAsync';
import { TestSetPanel } from '../../features/models/components/TestSetPanel';
import { getProject } from '../../features/projects/api/projects';
import { AnimalsSettingsPanel } from '../../features/projects/components/AnimalsSettingsPanel';
import { ReviewSettingsPanel } from '../../features/projects/components/ReviewSettingsPanel';
import { getDashboard, getProjectVideos } from '../../features/team/api/team';
import { DashboardPanel } from '../../features/team/components/DashboardPanel';
import { InvitePanel } from '../../features/team/components/InvitePanel';
import { MembersPanel } from '../../features/team/components/MembersPanel';
import { PickFramesPanel } from '../../features/team/components/PickFramesPanel';
import { PresencePanel } from '../../features/team/components/PresencePanel';
import { useAuth } from '../auth';

/** /projects/:projectId/team – members and roles, invite links, who is online, progress, frame picking. */
export function TeamRoute() {
  const projectId = Number(useParams().projectId);
  const { user } = useAuth();
  const project = useAsync((signal) => getProject(projectId, signal), [projectId]);
  const videos = useAsync((signal) => getProjectVideos(projectId, signal), [projectId]);
  const dashboard = useAsync((signal) => getDashboard(projectId, signal), [projectId]);
  const reloadDashboard = dashboard.reload;
  const onPicked = useCallback(() => reloadDashboard(), [reloadDashboard]);
  if (project.error) return <ErrorMessage error={project.error} />;
  if (!project.data) return <Loading />;
  const role = project.data.my_role;
  const videoName = (id: number) => videos.data?.find((v) => v.id === id)?.name ?? `video ${id}`;
  return (
    <div className="page">
      <nav className="crumbs">
        <Link to={`/projects/${projectId}`}>← {project.data.name}</Link>
      </nav>
      <h1>Team</h1>
      <div className="team-grid">
        <MembersPanel projectId={projectId} canManage={role === 'owner'} meId={user?.id ?? null} />
        <PresencePanel projectId={projectId} videoName={videoName} />
      </div>
      {role === 'owner' && <InvitePanel projectId={projectId} />}
      {role === 'owner' && <ReviewSettingsPanel project={project.data} />}
      {role === 'owner' && <AnimalsSettingsPanel project={project.data} />}
      {role === 'owner' && <TestSetPanel projectId={projectId} videoName={videoName} />}
      <DashboardPanel dashboard={dashboard.data} error={dashboard.error} />
      {(role === 'owner' || role === 'reviewer') && videos.data && (
        <PickFramesPanel videos={videos.data} onFinished={onPicked} />
      )}
    </div>
  );
}
