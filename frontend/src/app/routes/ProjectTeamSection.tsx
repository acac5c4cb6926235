/**
 * The team-labeling corner of the project page: links to the team, review and
 * skeleton pages, and frame picking for owners and reviewers (the video list
 * for it is loaded only when the panel is opened).
 */
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { ErrorMessage } from '../../components/ErrorMessage';
import { useAsync } from '../../lib/useAsync';
import type { Role, Video } from '../../types/api';
import { getProjectVideos } from '../../features/team/api/team';
import { PickFramesPanel } from '../../features/team/components/PickFramesPanel';

export function ProjectTeamSection({ projectId, role }: { projectId: number; role: Role }) {
  const canPick = role === 'owner' || role === 'reviewer';
  const [picking, setPicking] = useState(false);
  return (
    <>
      <nav className="card project-links" data-testid="project-links">
        <Link to={`/projects/${projectId}/team`} data-testid="link-team">
          Team &amp; progress
        </Link>
        {canPick && (
          <Link to={`/projects/${projectId}/review`} data-testid="link-review">
            Review queue
          </Link>
        )}
        {role === 'owner' && (
          <Link to={`/projects/${projectId}/skeleton`} data-testid="link-skeleton">
            Edit skeleton
          </Link>
        )}
        {canPick && (
          <button type="button" className="link" data-testid="open-pick-frames" onClick={() => setPicking((p) => !p)}>
            {picking ? 'Hide frame picking' : 'Pick frames to label…'}
          </button>
        )}
      </nav>
      {picking && <LazyPickFrames projectId={projectId} />}
    </>
  );
}

function LazyPickFrames({ projectId }: { projectId: number }) {
  const videos = useAsync<Video[]>((signal) => getProjectVideos(projectId, signal), [projectId]);
  if (videos.error) return <ErrorMessage error={videos.error} />;
  return videos.data ? <PickFramesPanel videos={videos.data} /> : null;
}
