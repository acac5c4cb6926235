import { useEffect } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import { useAsync } from '../../../lib/useAsync';
import { anyProcessing, getVideos, VIDEO_POLL_MS } from '../api/videos';
import { VideoTable } from './VideoTable';
import { VideoUpload } from './VideoUpload';

/** The videos of a project; polls every 2 s while any is processing. */
export function ProjectVideos({ projectId, canUpload }: { projectId: number; canUpload: boolean }) {
  const videos = useAsync((signal) => getVideos(projectId, signal), [projectId]);
  const processing = videos.data ? anyProcessing(videos.data) : false;
  const { reload } = videos;

  useEffect(() => {
    if (!processing) return;
    const id = setInterval(reload, VIDEO_POLL_MS);
    return () => clearInterval(id);
  }, [processing, reload]);

  return (
    <section className="card">
      <h2>Videos</h2>
      {videos.loading && !videos.data && <Loading />}
      <ErrorMessage error={videos.error} />
      {videos.data && (
        <VideoTable videos={videos.data} labelHref={(v) => `/projects/${projectId}/videos/${v.id}/label`} />
      )}
      {canUpload && (
        <VideoUpload projectId={projectId} onUploaded={(v) => videos.setData([...(videos.data ?? []), v])} />
      )}
    </section>
  );
}
