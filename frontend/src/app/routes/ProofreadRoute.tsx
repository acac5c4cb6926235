import { Link, useParams } from 'react-router-dom';
import { ErrorMessage } from '../../components/ErrorMessage';
import { Loading } from '../../components/Loading';
import { useAsync } from '../../lib/useAsync';
import { getInferenceRun } from '../../features/inference/api/inference';
import { ReadOnlyFrame } from '../../features/labeling/components/ReadOnlyFrame';
import { ProofreadPage } from '../../features/proofread/components/ProofreadPage';
import { getProject } from '../../features/projects/api/projects';
import { getSkeleton } from '../../features/skeletons/api/skeleton';
import { getVideo } from '../../features/videos/api/videos';
import { useAuth } from '../auth';

/** /projects/:projectId/runs/:runId/proofread – a finished run's tracks, to correct as a team. */
export function ProofreadRoute() {
  const params = useParams();
  const projectId = Number(params.projectId);
  const runId = Number(params.runId);
  const { user } = useAuth();
  const data = useAsync(
    async (signal) => {
      const [project, skeleton, run] = await Promise.all([
        getProject(projectId, signal),
        getSkeleton(projectId, signal),
        getInferenceRun(runId, signal),
      ]);
      return { project, skeleton, run, video: await getVideo(run.video, signal) };
    },
    [projectId, runId],
  );
  if (data.error) return <ErrorMessage error={data.error} />;
  if (!data.data || data.data.run.id !== runId) return <Loading />;
  const { project, skeleton, run, video } = data.data;
  return (
    <div className="page wide">
      <nav className="crumbs">
        <Link to={`/projects/${project.id}`}>← {project.name}</Link>
      </nav>
      <h1>
        Proofread tracks <span className="muted small">run #{run.id} · model v{run.model_version_number} on {run.video_name}</span>
      </h1>
      {run.status !== 'succeeded' ? (
        <p className="notice">Tracks can be proofread once the run has succeeded (it is {run.status}).</p>
      ) : (
        <ProofreadPage
          run={run}
          projectTracks={project.tracks}
          videoSize={{ width: video.width, height: video.height }}
          me={user?.username ?? null}
          canEdit={project.my_role !== 'viewer'}
          renderFrame={({ selected, ...p }) => <ReadOnlyFrame {...p} skeleton={skeleton} selectedInstance={selected} />}
        />
      )}
    </div>
  );
}
