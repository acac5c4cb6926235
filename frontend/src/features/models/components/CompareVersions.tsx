import { useMemo } from 'react';
import type { ModelVersion } from '../../../types/api';
import {
  betterIndex, comparabilityWarning, compareMetricsFor, configDiff, DASH, evaluation, formatMetric, joinNodeErrors,
  metricNumber, perNodeErrors, SET_LABEL,
} from '../metrics';
import { PerNodeChart } from './PerNodeChart';

interface Props {
  versions: readonly ModelVersion[];
  aId: number | null;
  bId: number | null;
  onChange: (aId: number | null, bId: number | null) => void;
}

const cls = (win: 0 | 1 | null, i: 0 | 1) => (win === i ? 'better' : undefined);

function VersionSelect({ label, value, versions, onChange, testId }: {
  label: string; value: number | null; versions: readonly ModelVersion[]; onChange: (id: number | null) => void; testId: string;
}) {
  return (
    <label>
      {label}{' '}
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value ? Number(e.target.value) : null)} data-testid={testId}>
        <option value="">–</option>
        {versions.map((v) => (
          <option key={v.id} value={v.id}>
            v{v.number}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Two versions side by side: metrics (better one highlighted), per-node errors, config differences. */
export function CompareVersions({ versions, aId, bId, onChange }: Props) {
  const a = versions.find((v) => v.id === aId);
  const b = versions.find((v) => v.id === bId);
  const nodes = useMemo(() => (a && b ? joinNodeErrors(perNodeErrors(a), perNodeErrors(b)) : []), [a, b]);
  const diff = useMemo(() => (a && b ? configDiff(a.config, b.config) : []), [a, b]);
  const rows = useMemo(() => nodes.map((n) => ({ label: n.node, values: [n.a, n.b] })), [nodes]);
  const ea = evaluation(a?.metrics);
  const eb = evaluation(b?.metrics);
  const warning = a && b ? comparabilityWarning(a, b) : null;

  return (
    <div className="compare" data-testid="compare-versions">
      <h3>Compare versions</h3>
      <div className="inline-form">
        <VersionSelect label="A" value={aId} versions={versions} onChange={(id) => onChange(id, bId)} testId="compare-a" />
        <VersionSelect label="B" value={bId} versions={versions} onChange={(id) => onChange(aId, id)} testId="compare-b" />
      </div>
      {a && b ? (
        <>
          {warning && (
            <p className="muted small" data-testid="compare-warning">
              {warning}
            </p>
          )}
          <table className="compare-table" data-testid="compare-metrics">
            <thead>
              <tr>
                <th>Metric</th>
                <th>
                  v{a.number} <span className="muted small">({SET_LABEL[ea.set]})</span>
                </th>
                <th>
                  v{b.number} <span className="muted small">({SET_LABEL[eb.set]})</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {compareMetricsFor([a, b]).map((m) => {
                const win = betterIndex(metricNumber(ea.metrics, m.key), metricNumber(eb.metrics, m.key), m.better);
                return (
                  <tr key={m.key} data-metric={m.key}>
                    <td>{m.label}</td>
                    <td className={cls(win, 0)}>{formatMetric(ea.metrics, m.key, m.format)}</td>
                    <td className={cls(win, 1)}>{formatMetric(eb.metrics, m.key, m.format)}</td>
                  </tr>
                );
              })}
              <tr>
                <td>Stop reason</td>
                <td>{String(a.metrics?.stop_reason ?? DASH)}</td>
                <td>{String(b.metrics?.stop_reason ?? DASH)}</td>
              </tr>
            </tbody>
          </table>
          <h4>Per-node RMSE</h4>
          <table className="compare-table" data-testid="compare-nodes">
            <thead>
              <tr>
                <th>Node</th>
                <th>v{a.number}</th>
                <th>v{b.number}</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((n) => {
                const win = betterIndex(n.a ?? undefined, n.b ?? undefined, 'lower');
                return (
                  <tr key={n.node}>
                    <td>{n.node}</td>
                    <td className={cls(win, 0)}>{n.a == null ? DASH : n.a.toFixed(2)}</td>
                    <td className={cls(win, 1)}>{n.b == null ? DASH : n.b.toFixed(2)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <PerNodeChart
            rows={rows}
            series={[
              { name: `v${a.number}`, className: 'series-a' },
              { name: `v${b.number}`, className: 'series-b' },
            ]}
            testId="compare-per-node-chart"
          />
          <h4>Config differences</h4>
          {diff.length === 0 ? (
            <p className="muted">Same config.</p>
          ) : (
            <table className="compare-table config-diff" data-testid="compare-config">
              <thead>
                <tr>
                  <th>Field</th>
                  <th>v{a.number}</th>
                  <th>v{b.number}</th>
                </tr>
              </thead>
              <tbody>
                {diff.map((d) => (
                  <tr key={d.path}>
                    <td>
                      <code>{d.path}</code>
                    </td>
                    <td>{d.a}</td>
                    <td>{d.b}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : (
        <p className="muted">Pick two versions.</p>
      )}
    </div>
  );
}
