import type { ModelVersion } from '../../../types/api';
import {
  type EvaluationSet,
  DASH, evaluatedFrames, evaluation, formatPck, formatPx, formatSeconds, isIdentityMetrics, isMultiAnimalMetrics, metricNumber,
  SET_LABEL, testFramesSeenByParent,
} from '../metrics';

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

/** "Test (23)", "Validation (17)"; a dash when nothing was scored (no held-out frames). */
const scoredOn = (set: EvaluationSet, frames: number | undefined) =>
  frames === undefined ? DASH : `${SET_LABEL[set]} (${frames})`;

/**
 * Model versions, newest first, with metrics, download and warm-start actions. The
 * figures are the test set's when a version has one, else its validation frames'
 * ("Scored on" says which); with any test figures the validation RMSE gets a column too.
 */
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
  const anyTest = versions.some((v) => evaluation(v.metrics).set === 'test');
  const shown = (v: ModelVersion) => evaluation(v.metrics).metrics;
  const count = (v: ModelVersion, key: string) => metricNumber(shown(v), key) ?? DASH;
  // Models with identities (named tracks) add how often they name the animals right.
  const identity = versions.some((v) => isIdentityMetrics(shown(v)));
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
            <th title="Root-mean-square keypoint error on the frames in “Scored on”">RMSE</th>
            <th title="Share of points within 5 px">PCK@5</th>
            <th title="Share of points within 10 px">PCK@10</th>
            {multi && <th title="COCO mean average precision over OKS thresholds 0.5–0.95">mAP (OKS)</th>}
            {multi && <th title="COCO mean average recall over OKS thresholds">mAR (OKS)</th>}
            {multi && <th title="PCK on instances matched to a label (Hungarian on OKS)">PCK matched</th>}
            {multi && <th title="Labeled animals no prediction matched / predictions that matched no label">Missed / spurious</th>}
            {identity && <th title="Share of matched animals given their labeled identity (track name)">Identity</th>}
            {identity && <th title="Share of frames where every labeled animal got its identity">Identity, frames</th>}
            <th title="Test: the project’s pinned test frames, never trained on. Validation: the frames that also chose the checkpoint.">
              Scored on
            </th>
            {anyTest && <th title="RMSE on the validation frames that chose the checkpoint">Val RMSE</th>}
            <th>Train time</th>
            <th>Stop reason</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => {
            const parent = v.parent == null ? undefined : numberOf(v.parent);
            const scored = evaluation(v.metrics);
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
                <td data-testid={`rmse-${v.number}`}>{formatPx(metricNumber(scored.metrics, 'rmse_px'))}</td>
                <td>{formatPck(metricNumber(scored.metrics, 'pck_5px'))}</td>
                <td>{formatPck(metricNumber(scored.metrics, 'pck_10px'))}</td>
                {multi && <td data-testid={`map-oks-${v.number}`}>{formatPck(metricNumber(scored.metrics, 'map_oks'))}</td>}
                {multi && <td>{formatPck(metricNumber(scored.metrics, 'mar_oks'))}</td>}
                {multi && <td>{formatPck(metricNumber(scored.metrics, 'pck'))}</td>}
                {multi && (
                  <td data-testid={`missed-spurious-${v.number}`}>
                    {count(v, 'missed_instances')} / {count(v, 'spurious_instances')}
                  </td>
                )}
                {identity && <td data-testid={`identity-${v.number}`}>{formatPck(metricNumber(scored.metrics, 'identity_accuracy'))}</td>}
                {identity && <td>{formatPck(metricNumber(scored.metrics, 'identity_frame_accuracy'))}</td>}
                <td data-testid={`scored-on-${v.number}`}>
                  {scoredOn(scored.set, evaluatedFrames(scored.metrics))}
                  {testFramesSeenByParent(v.metrics) > 0 && (
                    <span
                      className="muted small"
                      title="Warm-started from a model that trained on these frames before they were pinned: the test figures flatter it."
                    >
                      {' '}
                      ({testFramesSeenByParent(v.metrics)} seen by a parent model)
                    </span>
                  )}
                </td>
                {anyTest && <td data-testid={`val-rmse-${v.number}`}>{formatPx(metricNumber(v.metrics, 'rmse_px'))}</td>}
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
