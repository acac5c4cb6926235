import { Link } from 'react-router-dom';
import type { Video } from '../../../types/api';

function formatSize(bytes: number | null | undefined): string {
  if (bytes == null) return '—';
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const dims = (v: Video) => (v.width && v.height ? `${v.width}×${v.height}` : '—');

export function VideoTable({ videos, labelHref }: { videos: Video[]; labelHref: (v: Video) => string }) {
  if (videos.length === 0) return <p className="muted">No videos yet.</p>;
  return (
    <table className="videos" data-testid="video-table">
      <thead>
        <tr>
          <th></th>
          <th>Name</th>
          <th>Size</th>
          <th>FPS</th>
          <th>Frames</th>
          <th>Codec</th>
          <th>Status</th>
          <th>Labeled frames</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {videos.map((v) => (
          <tr key={v.id} data-testid={`video-${v.id}`}>
            <td>{v.thumbnail_url ? <img className="thumb" src={v.thumbnail_url} alt={`${v.name} thumbnail`} /> : null}</td>
            <td>{v.name}</td>
            <td>
              {formatSize(v.size_bytes)} <span className="muted">{dims(v)}</span>
            </td>
            <td>{v.fps != null ? v.fps.toFixed(2) : '—'}</td>
            <td>{v.frame_count ?? '—'}</td>
            <td>{v.codec ?? '—'}</td>
            <td>
              <span className={`status status-${v.status}`} data-testid={`video-status-${v.id}`}>
                {v.status}
              </span>
              {v.status === 'failed' && v.error && <div className="error small">{v.error}</div>}
            </td>
            <td>{v.labeled_frames}</td>
            <td>
              <Link to={labelHref(v)} data-testid={`label-video-${v.id}`}>
                Label
              </Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
