import { Link } from 'react-router-dom';
import type { Project } from '../../../types/api';

export function ProjectList({ projects }: { projects: Project[] }) {
  if (projects.length === 0) return <p className="muted">No projects yet. Create one below.</p>;
  return (
    <ul className="project-list">
      {projects.map((p) => (
        <li key={p.id} className="card" data-testid={`project-${p.id}`}>
          <Link to={`/projects/${p.id}`}>{p.name}</Link>
          <span className="role" data-testid="project-role">{p.my_role}</span>
          <span className="muted">
            {p.counts.videos} videos · {p.counts.labeled_frames} labeled frames · {p.counts.instances} instances
          </span>
        </li>
      ))}
    </ul>
  );
}
