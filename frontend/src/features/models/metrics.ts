/**
 * Reading and comparing model-version metrics. Any metric may be missing or
 * null (no validation frames); those show as '–' and never "win" a comparison.
 *
 * A version's top-level metrics are its validation frames' (they also chose its
 * checkpoint, so they flatter it); with a pinned test set the worker adds the
 * test frames' metrics under `test`. The page reports the test figures when
 * there are some and labels everything with the set it came from.
 */
import type { ModelMetrics, ModelVersion, TrainPreset } from '../../types/api';

export const DASH = '–';

export type Better = 'lower' | 'higher';

export interface MetricDef {
  key: string;
  label: string;
  better: Better | null;
  format: (v: number) => string;
  /** Written only for multi-animal models: the row is left out when no version has it. */
  multi?: boolean;
  /** Written only for models with identities: the row is left out when no version has it. */
  identity?: boolean;
}

const px = (v: number) => `${v.toFixed(2)} px`;
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const int = (v: number) => String(Math.round(v));

/** Metrics shown in the comparison table, in order. */
export const COMPARE_METRICS: readonly MetricDef[] = [
  { key: 'rmse_px', label: 'RMSE', better: 'lower', format: px },
  { key: 'mean_error_px', label: 'Mean error', better: 'lower', format: px },
  { key: 'median_error_px', label: 'Median error', better: 'lower', format: px },
  { key: 'pck_2px', label: 'PCK@2px', better: 'higher', format: pct },
  { key: 'pck_5px', label: 'PCK@5px', better: 'higher', format: pct },
  { key: 'pck_10px', label: 'PCK@10px', better: 'higher', format: pct },
  { key: 'map_oks', label: 'mAP (OKS)', better: 'higher', format: pct, multi: true },
  { key: 'mar_oks', label: 'mAR (OKS)', better: 'higher', format: pct, multi: true },
  { key: 'rmse_matched_px', label: 'RMSE, matched instances', better: 'lower', format: px, multi: true },
  { key: 'pck', label: 'PCK, matched instances', better: 'higher', format: pct, multi: true },
  { key: 'missed_instances', label: 'Missed instances', better: 'lower', format: int, multi: true },
  { key: 'spurious_instances', label: 'Spurious instances', better: 'lower', format: int, multi: true },
  { key: 'identity_accuracy', label: 'Identity accuracy, matched instances', better: 'higher', format: pct, identity: true },
  { key: 'identity_frame_accuracy', label: 'Frames with every identity right', better: 'higher', format: pct, identity: true },
  { key: 'n_points', label: 'Evaluated points', better: null, format: int },
  { key: 'steps', label: 'Steps', better: null, format: int },
  { key: 'train_seconds', label: 'Train time', better: null, format: (v) => formatSeconds(v) },
];

export type EvaluationSet = 'test' | 'validation';

export interface Evaluation {
  set: EvaluationSet;
  /** The run's totals (steps, train time...) with the chosen set's figures over them. */
  metrics: ModelMetrics | undefined;
}

/** The figures to report for a version: its test set's when it has one, else validation's. */
export function evaluation(metrics: ModelMetrics | undefined): Evaluation {
  const test: unknown = metrics?.test;
  if (metrics && test && typeof test === 'object') return { set: 'test', metrics: { ...metrics, ...(test as ModelMetrics) } };
  return { set: 'validation', metrics };
}

export const SET_LABEL: Record<EvaluationSet, string> = { test: 'Test', validation: 'Validation' };

/** Test frames the version's warm-start parents had trained on (pinned after them): not unseen. */
export function testFramesSeenByParent(metrics: ModelMetrics | undefined): number {
  const seen: unknown = metrics?.test?.seen_by_parent_frames;
  return Array.isArray(seen) ? seen.length : 0;
}

/** Why two versions' figures cannot be compared one to one, or null when they can. */
export function comparabilityWarning(a: Pick<ModelVersion, 'number' | 'metrics'>, b: Pick<ModelVersion, 'number' | 'metrics'>): string | null {
  const ea = evaluation(a.metrics);
  const eb = evaluation(b.metrics);
  if (ea.set !== eb.set) {
    const [t, v] = ea.set === 'test' ? [a, b] : [b, a];
    return `v${t.number} is scored on the test set, v${v.number} on its own validation frames: the figures are not comparable.`;
  }
  if (ea.set === 'validation') return 'Both are scored on their own validation frames, which also picked their checkpoints; pin a test set for a fair comparison.';
  const keys = (m: ModelMetrics | undefined) => JSON.stringify([...(Array.isArray(m?.frame_keys) ? m.frame_keys : [])].sort());
  return keys(ea.metrics) === keys(eb.metrics) ? null : 'The two versions were scored on different test sets.';
}

/** Whether a version was evaluated as a multi-animal model (OKS-matched metrics). */
export function isMultiAnimalMetrics(metrics: ModelMetrics | undefined): boolean {
  return metrics !== undefined && metrics !== null && 'map_oks' in metrics;
}

/** Whether a version's model tells the animals apart (per-frame identity accuracy, issue #15). */
export function isIdentityMetrics(metrics: ModelMetrics | undefined): boolean {
  return metrics !== undefined && metrics !== null && 'identity_accuracy' in metrics;
}

/** The comparison rows for these versions: the multi-animal (identity) ones only when one of them has them. */
export function compareMetricsFor(versions: readonly Pick<ModelVersion, 'metrics'>[]): readonly MetricDef[] {
  const multi = versions.some((v) => isMultiAnimalMetrics(v.metrics));
  const identity = versions.some((v) => isIdentityMetrics(v.metrics));
  return COMPARE_METRICS.filter((m) => (multi || !m.multi) && (identity || !m.identity)).map((m) =>
    m.key === 'pck' ? { ...m, label: `PCK@${pckThreshold(versions)}px, matched instances` } : m,
  );
}

/** The PCK threshold the multi-animal metrics used (`pck_threshold_px`), shown in the label. */
function pckThreshold(versions: readonly Pick<ModelVersion, 'metrics'>[]): string {
  const t = versions.map((v) => metricNumber(v.metrics, 'pck_threshold_px')).find((x) => x !== undefined);
  return t === undefined ? '?' : String(t);
}

/** A finite number metric, else undefined. */
export function metricNumber(metrics: ModelMetrics | undefined, key: string): number | undefined {
  const v = metrics?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function formatMetric(metrics: ModelMetrics | undefined, key: string, format: (v: number) => string): string {
  const v = metricNumber(metrics, key);
  return v === undefined ? DASH : format(v);
}

export const formatPx = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? DASH : px(v));
export const formatPck = (v: number | null | undefined) => (v == null || !Number.isFinite(v) ? DASH : pct(v));

/** "45 s", "3 min 5 s", "1 h 2 min"; '–' when missing. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return DASH;
  const t = Math.round(seconds);
  if (t < 60) return `${t} s`;
  if (t < 3600) return t % 60 ? `${Math.floor(t / 60)} min ${t % 60} s` : `${t / 60} min`;
  const m = Math.round(t / 60);
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m / 60} h`;
}

/** Index (0 or 1) of the better value, or null on a tie / missing value / no ordering. */
export function betterIndex(a: number | undefined, b: number | undefined, better: Better | null): 0 | 1 | null {
  if (better === null || a === undefined || b === undefined || a === b) return null;
  return (better === 'lower') === a < b ? 0 : 1;
}

export interface NodeError {
  node: string;
  value: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Per-node RMSE as a list in skeleton order. Accepts a name → value map, a
 * list of numbers (named by `config.node_names`), of [name, value] pairs or of
 * {node|name, rmse_px|value} objects. Multi-animal models write `per_node`
 * (name → {rmse_px, pck}), read when `per_node_rmse_px` is absent. The test
 * set's errors when the version has one (see `evaluation`).
 */
export function perNodeErrors(version: Pick<ModelVersion, 'metrics' | 'config'>): NodeError[] {
  const metrics = evaluation(version.metrics).metrics;
  const raw: unknown = metrics?.per_node_rmse_px ?? metrics?.per_node;
  const names = Array.isArray(version.config?.node_names) ? version.config.node_names : [];
  if (Array.isArray(raw)) {
    return raw.map((item: unknown, i): NodeError => {
      if (Array.isArray(item)) return { node: String(item[0]), value: num(item[1]) };
      if (item && typeof item === 'object') {
        const o = item as Record<string, unknown>;
        return { node: String(o.node ?? o.name ?? names[i] ?? `node ${i + 1}`), value: num(o.rmse_px ?? o.value) };
      }
      return { node: names[i] ?? `node ${i + 1}`, value: num(item) };
    });
  }
  if (raw && typeof raw === 'object') {
    const map = raw as Record<string, unknown>;
    const ordered = names.filter((n) => n in map);
    const rest = Object.keys(map).filter((n) => !ordered.includes(n));
    const value = (v: unknown) => (v && typeof v === 'object' ? num((v as Record<string, unknown>).rmse_px) : num(v));
    return [...ordered, ...rest].map((node) => ({ node, value: value(map[node]) }));
  }
  return [];
}

/** Per-node errors of two versions joined by node name (union, first version's order first). */
export function joinNodeErrors(a: NodeError[], b: NodeError[]): { node: string; a: number | null; b: number | null }[] {
  const order = [...a.map((e) => e.node), ...b.map((e) => e.node).filter((n) => !a.some((e) => e.node === n))];
  const find = (list: NodeError[], node: string) => list.find((e) => e.node === node)?.value ?? null;
  return order.map((node) => ({ node, a: find(a, node), b: find(b, node) }));
}

/** Number of evaluated frames, from `frames`, `frame_keys` or `n_frames` (pass `evaluation(...).metrics`). */
export function evaluatedFrames(metrics: ModelMetrics | undefined): number | undefined {
  if (Array.isArray(metrics?.frames)) return metrics.frames.length;
  if (Array.isArray(metrics?.frame_keys)) return metrics.frame_keys.length;
  return metricNumber(metrics, 'n_frames');
}

/** Flattens nested objects to dotted paths; arrays and scalars are leaves. */
export function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}

export interface ConfigDifference {
  path: string;
  a: string;
  b: string;
}

const show = (v: unknown) => (v === undefined ? DASH : typeof v === 'string' ? v : JSON.stringify(v));

/** The config fields (dotted paths) whose values differ between two versions, sorted. */
export function configDiff(a: unknown, b: unknown): ConfigDifference[] {
  const fa = flatten(a);
  const fb = flatten(b);
  const paths = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  return paths
    .filter((p) => JSON.stringify(fa[p]) !== JSON.stringify(fb[p]))
    .map((p) => ({ path: p, a: show(fa[p]), b: show(fb[p]) }));
}

const PRESETS: readonly string[] = ['fast', 'balanced', 'accurate'];

/** The preset a version was trained with (for "train from this version"); 'balanced' if unknown. */
export function trainPresetOf(version: Pick<ModelVersion, 'config'>): TrainPreset {
  const p = version.config?.train_config?.preset;
  return typeof p === 'string' && PRESETS.includes(p) ? (p as TrainPreset) : 'balanced';
}
