import type { Project } from '../../../types/api';

export function ProjectSummary({ project }: { project: Project }) {
  const { counts } = project;
  return (
    <section className="card">
      <h1 data-testid="project-name">{project.name}</h1>
      {project.description && <p>{project.description}</p>}
      <p>
        My role: <span className="role" data-testid="my-role">{project.my_role}</span>
      </p>
      <dl className="counts" data-testid="project-counts">
        <dt>Videos</dt>
        <dd>{counts.videos}</dd>
        <dt>Labeled frames</dt>
        <dd>{counts.labeled_frames}</dd>
        <dt>Instances</dt>
        <dd>{counts.instances}</dd>
        {Object.entries(counts.by_status ?? {}).map(([status, n]) => (
          <div key={status} className="count-pair">
            <dt>{status.replace('_', ' ')}</dt>
            <dd>{n}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
