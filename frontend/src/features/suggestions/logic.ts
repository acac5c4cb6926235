/** Pure helpers of the suggestions page: ordering, sub-scores, predicted animals, who may be assigned, AL settings. */
import type { ActiveLearningSettings, ALStrategy, Member, PredictedPoint, PredictionRange, Role, Suggestion } from '../../types/api';

export const STRATEGIES: readonly ALStrategy[] = [
  'uncertainty', 'disagreement', 'temporal', 'diversity', 'instance_count', 'swap_candidate', 'identity_disagreement',
  'pose_outlier', 'ensemble_disagreement',
];

/** What each strategy means, for tooltips and the settings panel. */
export const STRATEGY_HELP: Record<ALStrategy, string> = {
  uncertainty: 'low keypoint confidence',
  disagreement: 'augmented copies of the frame disagree',
  temporal: 'implausible jump between neighbouring frames',
  diversity: 'unlike the frames labeled so far',
  instance_count: 'number of animals differs from the neighbouring frames or the expected count',
  swap_candidate: 'two tracks come close and separate: identities may switch (ranked first)',
  identity_disagreement: 'the identity model prefers another track, or barely decides (ranked first)',
  pose_outlier: 'the predicted pose is unlike the labeled poses (low-rank pose model)',
  ensemble_disagreement: 'variants of the model (MC dropout) disagree on the frame',
};

/** How a batch of suggestions is spread (the backend's selection), with what it means. */
export const SELECTIONS: readonly [NonNullable<ActiveLearningSettings['selection']>, string][] = [
  ['greedy', 'highest scores, kept apart by the diversity weight'],
  ['clusters', 'one typical frame of each kind of frame no label covers yet, then highest scores (default)'],
];

/** Labels of the reasons that fix tracking; the backend ranks these frames first. */
const TRACKING_LABELS: readonly [ALStrategy, string][] = [
  ['swap_candidate', 'Swap candidate'],
  ['identity_disagreement', 'Identity disagreement'],
];

/** The tracking reasons a suggestion was picked for (their sub-score is above 0 only then). */
export function trackingLabels(subscores: Suggestion['subscores']): { key: ALStrategy; label: string }[] {
  return TRACKING_LABELS.filter(([k]) => (subscores[k] ?? 0) > 0).map(([key, label]) => ({ key, label }));
}

/** Highest score first; ties by id (the backend's order). */
export function sortSuggestions<S extends Pick<Suggestion, 'id' | 'score'>>(rows: readonly S[]): S[] {
  return [...rows].sort((a, b) => b.score - a.score || a.id - b.id);
}

/** Sub-scores as bars: known strategies first in a fixed order, then any others; values clamped to 0..1. */
export function subscoreBars(subscores: Suggestion['subscores']): { name: string; value: number }[] {
  const clamp = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);
  const known = STRATEGIES.filter((s) => s in subscores).map((s) => ({ name: s as string, value: clamp(subscores[s]) }));
  const other = Object.keys(subscores)
    .filter((k) => !(STRATEGIES as readonly string[]).includes(k))
    .sort()
    .map((k) => ({ name: k, value: clamp(subscores[k]) }));
  return [...known, ...other];
}

/** One predicted animal of a suggested frame, drawn on the card and picked for Accept. */
export interface PredictedAnimal {
  /** Its index in the frame's prediction as the accept endpoint counts (`instances: [index, ...]`). */
  index: number;
  track: string | null;
  score: number | null;
  points: PredictedPoint[];
}

/**
 * The predicted animals of one frame in a prediction range, on project node ids
 * (dropped nodes and NaNs skipped). An animal left with no point is skipped and
 * not counted, as the server does when it accepts by index.
 */
export function frameAnimals(range: PredictionRange, frameIndex: number): PredictedAnimal[] {
  const frame = range.frames.find((f) => f.frame_index === frameIndex);
  const out: PredictedAnimal[] = [];
  for (const inst of frame?.instances ?? []) {
    const points: PredictedPoint[] = [];
    inst.points.forEach((p, k) => {
      const node = range.node_ids[k];
      if (node == null || !p) return;
      const [x, y, score] = p;
      if (x == null || y == null || !Number.isFinite(x) || !Number.isFinite(y)) return;
      points.push({ node, x, y, score: score ?? null });
    });
    if (points.length) out.push({ index: out.length, track: inst.track, score: inst.score, points });
  }
  return out;
}

/** Colours for predicted animals without a known track (greys and pastels, not a track's colour). */
const UNTRACKED = ['#e0e0e0', '#ffe082', '#b39ddb', '#80cbc4', '#ef9a9a'];

/**
 * How each animal is drawn: its track's colour and name, or "Animal n" in a
 * neutral colour. A single untracked animal gets no style (node colours, no name).
 */
export function animalStyles(
  animals: readonly Pick<PredictedAnimal, 'track'>[],
  tracks: readonly { name: string; color: string }[],
): ({ color: string; label: string } | null)[] {
  if (animals.length === 1 && animals[0]!.track === null) return [null];
  return animals.map((a, i) => ({
    color: tracks.find((t) => t.name === a.track)?.color ?? UNTRACKED[i % UNTRACKED.length]!,
    label: a.track ?? `Animal ${i + 1}`,
  }));
}

/**
 * Which predicted animals Accept adds by default: all, or the best `maxInstances`
 * (the server sends them best first) when the project allows fewer.
 */
export function defaultChoice(count: number, maxInstances: number | null): number[] {
  const n = maxInstances == null ? count : Math.min(count, maxInstances);
  return Array.from({ length: n }, (_, i) => i);
}

/** The accept body: `instances` only when a subset is chosen (sending none means all of them). */
export function acceptBody(chosen: readonly number[], count: number): { instances?: number[] } {
  const picked = [...new Set(chosen)].filter((i) => i >= 0 && i < count).sort((a, b) => a - b);
  return picked.length === count ? {} : { instances: picked };
}

/** Mean of the non-null scores; null when there is none. */
export function meanScore(points: readonly PredictedPoint[]): number | null {
  const s = points.map((p) => p.score).filter((v): v is number => v != null && Number.isFinite(v));
  return s.length ? s.reduce((a, b) => a + b, 0) / s.length : null;
}

/** Opacity for a keypoint of this confidence: faint when unsure, never invisible. */
export function confidenceAlpha(score: number | null): number {
  if (score == null || !Number.isFinite(score)) return 0.5;
  return 0.45 + 0.55 * Math.min(1, Math.max(0, score));
}

const LABELERS: readonly Role[] = ['owner', 'reviewer', 'annotator'];

/**
 * Usernames a user may assign a suggestion to: annotators and up; an annotator
 * may only take it themselves (the backend says 403 otherwise).
 */
export function assignableUsers(members: readonly Member[], myRole: Role, me: string | null): string[] {
  const labelers = members.filter((m) => LABELERS.includes(m.role)).map((m) => m.user.username);
  if (myRole === 'owner' || myRole === 'reviewer') return labelers.sort();
  return labelers.filter((u) => u === me);
}

/** Settings ready to PUT, or the reason they are not valid. */
export function validateSettings(s: Omit<ActiveLearningSettings, 'updated_at'>): string | null {
  const values = STRATEGIES.map((k) => s.weights[k] ?? 0);
  if (values.some((v) => !Number.isFinite(v) || v < 0)) return 'Each weight must be a number ≥ 0.';
  if (!values.some((v) => v > 0)) return 'At least one weight must be above 0.';
  if (!Number.isInteger(s.n_suggestions) || s.n_suggestions < 0 || s.n_suggestions > 500)
    return 'Suggestions per run: a whole number from 0 to 500.';
  if (!Number.isInteger(s.min_gap) || s.min_gap < 0 || s.min_gap > 10000) return 'Minimum gap: a whole number from 0 to 10000.';
  return null;
}

/** The weights as shares of their sum (what each strategy counts for), rounded to percent. */
export function weightShares(weights: Partial<Record<ALStrategy, number>>): Record<ALStrategy, number> {
  const total = STRATEGIES.reduce((sum, k) => sum + Math.max(0, weights[k] ?? 0), 0);
  const out = {} as Record<ALStrategy, number>;
  for (const k of STRATEGIES) out[k] = total > 0 ? Math.round((100 * Math.max(0, weights[k] ?? 0)) / total) : 0;
  return out;
}
