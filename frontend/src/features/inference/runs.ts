/** Pure helpers of the inference UI: run states, the run request, display formatting. */
import type { InferenceExportFormat, InferenceRun, InferenceRunCreate, InferenceRunStatus, SmoothingMethod } from '../../types/api';
import { buildTracking, type TrackingForm } from './tracking';

/** Poll interval while any run is queued or running. */
export const RUN_POLL_MS = 2000;

export const ACTIVE_RUN_STATUSES: readonly InferenceRunStatus[] = ['queued', 'running'];

export const isRunActive = (run: Pick<InferenceRun, 'status'>) => ACTIVE_RUN_STATUSES.includes(run.status);

/** A re-tracking of the run is queued or running. */
export const isRetrackActive = (run: Partial<Pick<InferenceRun, 'retrack'>>) =>
  !!run.retrack && ACTIVE_RUN_STATUSES.includes(run.retrack.status);

/** Something worth polling for: a run, or a re-tracking of one, still in flight. */
export const anyRunActive = (runs: readonly (Pick<InferenceRun, 'status'> & Partial<Pick<InferenceRun, 'retrack'>>)[]) =>
  runs.some((r) => isRunActive(r) || isRetrackActive(r));

/** Runs that were active in `prev` and are finished in `next`. */
export function runsNewlyFinished<R extends Pick<InferenceRun, 'id' | 'status'>>(prev: readonly R[], next: readonly R[]): R[] {
  const wasActive = new Set(prev.filter(isRunActive).map((r) => r.id));
  return next.filter((r) => wasActive.has(r.id) && !isRunActive(r));
}

/** Put new / updated runs into a newest-first list (replacing same ids, new ones first, by id desc). */
export function upsertRuns<R extends Pick<InferenceRun, 'id'>>(runs: readonly R[], changed: readonly R[]): R[] {
  const byId = new Map(runs.map((r) => [r.id, r] as const));
  for (const r of changed) byId.set(r.id, r);
  return [...byId.values()].sort((a, b) => b.id - a.id);
}

/** What the run form holds (strings where the user types). */
export interface RunForm {
  modelVersion: number | null;
  videos: readonly number[];
  smoothing: SmoothingMethod | 'none';
  window: string;
  /** Empty: the project's active-learning setting. */
  suggest: string;
  renderVideo: boolean;
  /** The Tracking fieldset; absent: off. */
  tracking?: TrackingForm;
}

export const DEFAULT_WINDOW = 5;

/** The POST body for the form, or the reason it cannot be sent. */
export function buildRunRequest(form: RunForm): { body: InferenceRunCreate } | { error: string } {
  if (form.modelVersion === null) return { error: 'Choose a model version.' };
  if (form.videos.length === 0) return { error: 'Choose at least one video.' };
  const body: InferenceRunCreate = {
    model_version: form.modelVersion,
    videos: [...form.videos],
    render_video: form.renderVideo,
  };
  if (form.smoothing !== 'none') {
    const window = Number(form.window);
    if (!Number.isInteger(window) || window < 3 || window > 101 || window % 2 === 0) {
      return { error: 'The smoothing window must be an odd number of frames from 3 to 101.' };
    }
    body.smoothing = { method: form.smoothing, window };
  }
  if (form.suggest.trim() !== '') {
    const n = Number(form.suggest);
    if (!Number.isInteger(n) || n < 0 || n > 500) return { error: 'Suggestions: a whole number from 0 to 500.' };
    body.suggest = n;
  }
  if (form.tracking) {
    const built = buildTracking(form.tracking);
    if ('error' in built) return built;
    if (built.tracking) body.tracking = built.tracking;
  }
  return { body };
}

/** Export formats in display order, with their link text. */
export const EXPORT_FORMATS: readonly { fmt: InferenceExportFormat; label: string }[] = [
  { fmt: 'dlc-csv', label: 'DeepLabCut CSV' },
  { fmt: 'dlc-h5', label: 'DeepLabCut H5' },
  { fmt: 'slp', label: 'SLEAP .slp' },
  { fmt: 'video', label: 'Labeled video (mp4)' },
  { fmt: 'nwb', label: 'NWB (ndx-pose)' },
];

/** The run's exports in display order (only the formats it offers). */
export function runExports(run: Pick<InferenceRun, 'exports'>): { fmt: string; label: string; url: string }[] {
  const known = EXPORT_FORMATS.filter((f) => run.exports[f.fmt]).map((f) => ({ ...f, url: run.exports[f.fmt]! }));
  const other = Object.entries(run.exports)
    .filter(([fmt, url]) => url && !EXPORT_FORMATS.some((f) => f.fmt === fmt))
    .map(([fmt, url]) => ({ fmt, label: fmt, url: url! }));
  return [...known, ...other];
}

/** A 0..1 confidence as "0.73"; '–' when missing. */
export function formatScore(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return '–';
  return value.toFixed(2);
}

/** Frames per second as "123 fps" / "4.5 fps"; '–' when missing. */
export function formatFps(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value) || value < 0) return '–';
  return `${value >= 100 ? Math.round(value) : Number(value.toFixed(1))} fps`;
}

/** Frames done as "120 / 600 frames" (total unknown: "120 frames"). */
export function framesText(done: number, total: number | null | undefined): string {
  return total ? `${done} / ${total} frames` : `${done} frames`;
}

/** The newest model version (highest number) to preselect; null when there is none. */
export function newestVersionId(versions: readonly { id: number; number: number }[]): number | null {
  let best: { id: number; number: number } | null = null;
  for (const v of versions) if (!best || v.number > best.number) best = v;
  return best?.id ?? null;
}

/** Seconds as "45 s" / "2 min 10 s" / "1 h 5 min"; '–' when unknown. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '–';
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  if (total < 3600) {
    const s = total % 60;
    return s ? `${Math.floor(total / 60)} min ${s} s` : `${Math.floor(total / 60)} min`;
  }
  const minutes = Math.round(total / 60);
  return minutes % 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${Math.floor(minutes / 60)} h`;
}
