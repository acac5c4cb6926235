import { Link, useParams } from 'react-router-dom';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Loading } from '../../components/Loading';
import { useAsync } from '../../lib/useAsync';
import { getProject } from '../../features/projects/api/projects';
import { getSkeletonForEdit } from '../../features/skeleton-editor/api/skeleton';
import { SkeletonEditor } from '../../features/skeleton-editor/components/SkeletonEditor';

/** /projects/:projectId/skeleton – the skeleton editor (owners). */
export function SkeletonEditorRoute() {
  const projectId = Number(useParams().projectId);
  const data = useAsync(
    (signal) => Promise.all([getProject(projectId, signal), getSkeletonForEdit(projectId, signal)]),
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
      <h1>Skeleton</h1>
      {project.my_role === 'owner' ? (
        <SkeletonEditor projectId={project.id} skeleton={skeleton} onSaved={() => undefined} />
      ) : (
        <p className="notice">Only owners edit the skeleton.</p>
      )}
    </div>
  );
}
