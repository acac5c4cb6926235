import { ErrorMessage } from '../../components/ErrorMessage';
import { Loading } from '../../components/Loading';
import { useAsync } from '../../lib/useAsync';
import { ImportPanel } from '../../features/interchange/components/ImportPanel';
import { getProjects } from '../../features/projects/api/projects';
import { NewProjectForm } from '../../features/projects/components/NewProjectForm';
import { ProjectList } from '../../features/projects/components/ProjectList';

export function ProjectListRoute() {
  const projects = useAsync((signal) => getProjects(signal), []);
  return (
    <div className="page">
      <h1>Projects</h1>
      {projects.loading && !projects.data && <Loading />}
      <ErrorMessage error={projects.error} />
      {projects.data && <ProjectList projects={projects.data} />}
      <NewProjectForm onCreated={(p) => projects.setData([...(projects.data ?? []), p])} />
      <ImportPanel onImported={() => projects.reload()} />
    </div>
  );
}
