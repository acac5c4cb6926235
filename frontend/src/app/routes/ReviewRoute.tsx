import { Link, useParams } from 'react-router-dom';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Loading } from '../../components/Loading';
import { useAsync } from '../../lib/useAsync';
import { ReadOnlyFrame } from '../../features/labeling/components/ReadOnlyFrame';
import { getProject } from '../../features/projects/api/projects';
import { ReviewPage } from '../../features/review/components/ReviewPage';
import { getSkeleton } from '../../features/skeletons/api/skeleton';
import { useAuth } from '../auth';

/** /projects/:projectId/review – the review queue with a read-only frame view. */
export function ReviewRoute() {
  const projectId = Number(useParams().projectId);
  const { user } = useAuth();
  const data = useAsync(
    (signal) => Promise.all([getProject(projectId, signal), getSkeleton(projectId, signal)]),
    [projectId],
  );
  if (data.error) return <ErrorMessage error={data.error} />;
  if (!data.data) return <Loading />;
  const [project, skeleton] = data.data;
  const allowed = project.my_role === 'owner' || project.my_role === 'reviewer';
  return (
    <div className="page wide">
      <nav className="crumbs">
        <Link to={`/projects/${project.id}`}>← {project.name}</Link>
      </nav>
      <h1>Review</h1>
      {allowed ? (
        <ReviewPage
          projectId={project.id}
          skeleton={skeleton}
          labelHref={(v, i) => `/projects/${project.id}/videos/${v}/label?frame=${i}`}
          renderFrame={(p) => <ReadOnlyFrame {...p} tracks={project.tracks} />}
          meId={user?.id ?? null}
          allowSelfReview={project.allow_self_review}
        />
      ) : (
        <p className="notice">Only reviewers and owners review frames.</p>
      )}
    </div>
  );
}
