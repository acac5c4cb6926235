/** Project dashboard: frames by status, per annotator, per video. */
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import type { Dashboard, TeamFrameStatus } from '../../../types/api';
import { approvalRate, STATUS_LABEL, STATUS_ORDER, statusSegments, total } from '../logic';

function StatusBar({ byStatus, testId }: { byStatus: Partial<Record<TeamFrameStatus, number>>; testId?: string }) {
  const segments = statusSegments(byStatus);
  return (
    <div className="status-bar" data-testid={testId} aria-label={segments.map((s) => `${s.count} ${STATUS_LABEL[s.status]}`).join(', ')}>
      {segments.map((s) => (
        <span
          key={s.status}
          className={`segment status-${s.status}`}
          style={{ width: `${s.percent}%` }}
          title={`${STATUS_LABEL[s.status]}: ${s.count}`}
        />
      ))}
    </div>
  );
}

export function DashboardPanel({ dashboard, error }: { dashboard: Dashboard | undefined; error: unknown }) {
  return (
    <section className="card" data-testid="dashboard">
      <h2>Progress</h2>
      <ErrorMessage error={error} />
      {!dashboard ? (
        !error && <Loading />
      ) : (
        <>
          <StatusBar byStatus={dashboard.by_status} testId="dashboard-bar" />
          <ul className="status-legend">
            {STATUS_ORDER.map((s) => (
              <li key={s} data-testid={`dashboard-${s}`}>
                <span className={`swatch status-${s}`} /> {STATUS_LABEL[s]}: <strong>{dashboard.by_status[s] ?? 0}</strong>
              </li>
            ))}
          </ul>
          <h3>Per annotator</h3>
          <table className="dashboard-table">
            <thead>
              <tr>
                <th>Annotator</th>
                <th>Labeled</th>
                <th>Submitted</th>
                <th>Approved</th>
                <th>Rejected</th>
                <th>Approval</th>
              </tr>
            </thead>
            <tbody>
              {dashboard.annotators.map((a) => (
                <tr key={a.user.id} data-testid={`dashboard-annotator-${a.user.username}`}>
                  <td>{a.user.username}</td>
                  <td>{a.labeled}</td>
                  <td>{a.submitted}</td>
                  <td>{a.approved}</td>
                  <td>{a.rejected}</td>
                  <td>{approvalRate(a)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Per video</h3>
          <table className="dashboard-table">
            <thead>
              <tr>
                <th>Video</th>
                <th>Frames in work</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {dashboard.videos.map((v) => (
                <tr key={v.id} data-testid={`dashboard-video-${v.id}`}>
                  <td>{v.name}</td>
                  <td>
                    {total(v.by_status)}
                    {v.frame_count ? <span className="muted small"> of {v.frame_count}</span> : null}
                  </td>
                  <td className="bar-cell">
                    <StatusBar byStatus={v.by_status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
