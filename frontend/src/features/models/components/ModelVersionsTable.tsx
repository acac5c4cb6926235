import type { ModelVersion } from '../../../types/api';
import { DASH, evaluatedFrames, formatPck, formatPx, formatSeconds, isMultiAnimalMetrics, metricNumber } from '../metrics';

interface Props {
  versions: readonly ModelVersion[];
  selectedId: number | null;
  onSelect: (versionId: number) => void;
  /** Present when the user may train: shows "Train from this version". */
  onTrainFrom?: (version: ModelVersion) => void;
  trainDisabled?: boolean;
}

const dateTime = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? DASH : d.toLocaleString();
};

/** Model versions, newest first, with metrics, download and warm-start actions. */
export function ModelVersionsTable({ versions, selectedId, onSelect, onTrainFrom, trainDisabled }: Props) {
  if (versions.length === 0) {
    return (
      <p className="muted" data-testid="model-versions">
        No model versions yet. A successful training job creates one.
      </p>
    );
  }
  const numberOf = (id: number | null) => versions.find((v) => v.id === id)?.number;
  // Multi-animal models add detection quality (OKS) and instance counts; single-animal tables stay as they were.
  const multi = versions.some((v) => isMultiAnimalMetrics(v.metrics));
  const count = (v: ModelVersion, key: string) => metricNumber(v.metrics, key) ?? DASH;
  // The wrapper scrolls sideways on a narrow card instead of the table spilling out of it.
  return (
    <div className="table-scroll">
      <table className="model-versions" data-testid="model-versions">
        <thead>
          <tr>
            <th></th>
            <th>Version</th>
            <th>Created</th>
            <th>Parent</th>
            <th title="Root-mean-square keypoint error on the validation frames">RMSE</th>
            <th title="Share of points within 5 px">PCK@5</th>
            <th title="Share of points within 10 px">PCK@10</th>
            {multi && <th title="COCO mean average precision over OKS thresholds 0.5–0.95">mAP (OKS)</th>}
            {multi && <th title="COCO mean average recall over OKS thresholds">mAR (OKS)</th>}
            {multi && <th title="PCK on instances matched to a label (Hungarian on OKS)">PCK matched</th>}
            {multi && <th title="Labeled animals no prediction matched / predictions that matched no label">Missed / spurious</th>}
            <th>Val frames</th>
            <th>Train time</th>
            <th>Stop reason</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => {
            const parent = v.parent == null ? undefined : numberOf(v.parent);
            return (
              <tr key={v.id} data-testid={`model-version-${v.number}`} className={v.id === selectedId ? 'selected' : undefined}>
                <td>
                  <input
                    type="radio"
                    name="selected-version"
                    aria-label={`Show v${v.number} per-node errors`}
                    checked={v.id === selectedId}
                    onChange={() => onSelect(v.id)}
                  />
                </td>
                <td>
                  <strong>v{v.number}</strong>
                </td>
                <td className="small">{dateTime(v.created_at)}</td>
                <td>{v.parent == null ? DASH : parent !== undefined ? `v${parent}` : `#${v.parent}`}</td>
                <td>{formatPx(metricNumber(v.metrics, 'rmse_px'))}</td>
                <td>{formatPck(metricNumber(v.metrics, 'pck_5px'))}</td>
                <td>{formatPck(metricNumber(v.metrics, 'pck_10px'))}</td>
                {multi && <td data-testid={`map-oks-${v.number}`}>{formatPck(metricNumber(v.metrics, 'map_oks'))}</td>}
                {multi && <td>{formatPck(metricNumber(v.metrics, 'mar_oks'))}</td>}
                {multi && <td>{formatPck(metricNumber(v.metrics, 'pck'))}</td>}
                {multi && (
                  <td data-testid={`missed-spurious-${v.number}`}>
                    {count(v, 'missed_instances')} / {count(v, 'spurious_instances')}
                  </td>
                )}
                <td>{evaluatedFrames(v.metrics) ?? DASH}</td>
                <td>{formatSeconds(metricNumber(v.metrics, 'train_seconds'))}</td>
                <td>{typeof v.metrics?.stop_reason === 'string' ? v.metrics.stop_reason.replace(/_/g, ' ') : DASH}</td>
                <td className="actions">
                  {v.download_url ? (
                    <a href={v.download_url} download data-testid={`download-${v.number}`}>
                      Download
                    </a>
                  ) : (
                    <span className="muted small">no download</span>
                  )}
                  {onTrainFrom && (
                    <button
                      type="button"
                      className="secondary"
                      disabled={trainDisabled}
                      onClick={() => onTrainFrom(v)}
                      data-testid={`train-from-${v.number}`}
                    >
                      Train from this version
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
