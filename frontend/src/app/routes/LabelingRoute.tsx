import { Link, useParams } from 'react-router-dom';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Loading } from '../../components/Loading';
import { useAsync } from '../../lib/useAsync';
import { useAuth } from '../auth';
import { LabelingPage } from '../../features/labeling/components/LabelingPage';
import { getProject } from '../../features/projects/api/projects';
import { getSkeleton } from '../../features/skeletons/api/skeleton';
import { getVideo } from '../../features/videos/api/videos';

/** Loads what the labeling page needs (project role, skeleton, video) and hands it over. */
export function LabelingRoute() {
  const params = useParams();
  const projectId = Number(params.projectId);
  const videoId = Number(params.videoId);
  const { user } = useAuth();
  const data = useAsync(
    (signal) => Promise.all([getProject(projectId, signal), getSkeleton(projectId, signal), getVideo(videoId, signal)]),
    [projectId, videoId],
  );
  if (data.error) return <ErrorMessage error={data.error} />;
  // After a navigation to another video the previous video's data is still here
  // while the new one loads: never hand it to a page that reads the new URL.
  if (!data.data || data.data[2].id !== videoId) return <Loading />;
  const [project, skeleton, video] = data.data;
  return (
    <div className="page wide">
      <nav className="crumbs">
        <Link to={`/projects/${project.id}`}>← {project.name}</Link>
      </nav>
      <LabelingPage key={video.id} video={video} skeleton={skeleton} role={project.my_role} me={user} project={project} />
    </div>
  );
}
