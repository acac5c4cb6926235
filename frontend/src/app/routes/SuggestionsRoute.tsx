import { Link, useParams } from 'react-router-dom';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Loading } from '../../components/Loading';
import { useAsync } from '../../lib/useAsync';
import { useAuth } from '../auth';
import { frameImageUrl } from '../../features/labeling/api/frameImage';
import { getProject } from '../../features/projects/api/projects';
import { getSkeleton } from '../../features/skeletons/api/skeleton';
import { SuggestionsPage } from '../../features/suggestions/components/SuggestionsPage';

/** /projects/:projectId/suggestions – frames the model proposes for labeling (active learning). */
export function SuggestionsRoute() {
  const projectId = Number(useParams().projectId);
  const { user } = useAuth();
  const data = useAsync(
    (signal) => Promise.all([getProject(projectId, signal), getSkeleton(projectId, signal)]),
    [projectId],
  );
  if (data.error) return <ErrorMessage error={data.error} />;
  if (!data.data) return <Loading />;
  const [project, skeleton] = data.data;
  return (
    <div className="page wide">
      <nav className="crumbs">
        <Link to={`/projects/${project.id}`}>← {project.name}</Link>
      </nav>
      <h1>Suggested frames</h1>
      <p className="muted small">
        Frames worth labeling next: the kinds of frames no label covers yet, and those the model is least sure about. Accept a good prediction as the label, correct it in the
        workspace, or dismiss the frame.
      </p>
      <SuggestionsPage
        projectId={project.id}
        role={project.my_role}
        me={user?.username ?? null}
        skeleton={skeleton}
        tracks={project.tracks}
        maxInstances={project.max_instances}
        frameUrl={frameImageUrl}
        correctHref={(v, i, s) => `/projects/${project.id}/videos/${v}/label?frame=${i}&suggestion=${s}`}
      />
    </div>
  );
}
