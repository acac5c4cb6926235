/**
 * Pure helpers of the tracker settings: the form's state, its request body
 * (checked against the same bounds as backend/inference/tracking.py, so most
 * mistakes are caught before a round trip), and the run summary's text.
 */
import type { TrackingMotion, TrackingSettings, TrackingSimilarity } from '../../types/api';

/** Bounds the server enforces (TRACKING_LIMITS) for the settings the form shows. */
export const TRACKING_BOUNDS = { window: [1, 300], maxTracks: [1, 64], identityWindow: [0, 300] } as const;
export const DEFAULT_TRACKING_WINDOW = 5;
/** ml_worker TrackerConfig.identity_window: frames on each side whose identity scores are pooled. */
export const DEFAULT_IDENTITY_WINDOW = 5;

export const SIMILARITIES: readonly { value: TrackingSimilarity; label: string }[] = [
  { value: 'oks', label: 'pose (OKS)' },
  { value: 'centroid', label: 'centroid distance' },
];

export const MOTION_MODELS: readonly { value: TrackingMotion; label: string }[] = [
  { value: 'constant_velocity', label: 'constant velocity' },
  { value: 'kalman', label: 'Kalman filter' },
  { value: 'none', label: 'none (last position)' },
];

/** What the Tracking fieldset holds (strings where the user types). */
export interface TrackingForm {
  enabled: boolean;
  /** Empty: the number of animals is unknown. */
  maxTracks: string;
  similarity: TrackingSimilarity;
  motion: TrackingMotion;
  window: string;
  /** Use a model's identity scores to name the tracks (models trained with identities only). */
  identity: boolean;
  identityWindow: string;
}

/** The fieldset's starting state: off, with the project's animal count (null: unknown). */
export function defaultTrackingForm(maxInstances: number | null | undefined, enabled = false): TrackingForm {
  return {
    enabled,
    maxTracks: maxInstances == null ? '' : String(maxInstances),
    similarity: 'oks',
    motion: 'constant_velocity',
    window: String(DEFAULT_TRACKING_WINDOW),
    identity: true,
    identityWindow: String(DEFAULT_IDENTITY_WINDOW),
  };
}

/** The fieldset filled from a run's settings (on), or the defaults when it has none. */
export function trackingFormFrom(settings: TrackingSettings | null | undefined, maxInstances: number | null | undefined): TrackingForm {
  const base = defaultTrackingForm(maxInstances, true);
  if (!settings) return base;
  return {
    enabled: true,
    maxTracks: !('max_tracks' in settings) ? base.maxTracks : settings.max_tracks == null ? '' : String(settings.max_tracks),
    similarity: settings.similarity === 'centroid' ? 'centroid' : 'oks',
    motion: settings.motion ?? base.motion,
    window: String(settings.window ?? DEFAULT_TRACKING_WINDOW),
    identity: settings.identity ?? true,
    identityWindow: String(settings.identity_window ?? DEFAULT_IDENTITY_WINDOW),
  };
}

function wholeIn(text: string, [low, high]: readonly [number, number]): number | null {
  const n = Number(text);
  return text.trim() !== '' && Number.isInteger(n) && n >= low && n <= high ? n : null;
}

/** The `tracking` of a request (null: off), or the reason it cannot be sent. */
export function buildTracking(form: TrackingForm): { tracking: TrackingSettings | null } | { error: string } {
  if (!form.enabled) return { tracking: null };
  const window = wholeIn(form.window, TRACKING_BOUNDS.window);
  if (window === null) return { error: 'Tracking window: a whole number of frames from 1 to 300.' };
  let maxTracks: number | null = null;
  if (form.maxTracks.trim() !== '') {
    maxTracks = wholeIn(form.maxTracks, TRACKING_BOUNDS.maxTracks);
    if (maxTracks === null) return { error: 'Max animals: a whole number from 1 to 64 (empty: unknown).' };
  }
  const tracking: TrackingSettings = { max_tracks: maxTracks, similarity: form.similarity, motion: form.motion, window, identity: form.identity };
  // The identity window only matters with identity scores on (the field is disabled otherwise).
  const identityWindow = wholeIn(form.identityWindow, TRACKING_BOUNDS.identityWindow);
  if (form.identity && identityWindow === null) return { error: 'Identity window: a whole number of frames from 0 to 300.' };
  if (identityWindow !== null) tracking.identity_window = identityWindow;
  return { tracking };
}

/** "2 tracks" / "1 track". */
export const tracksText = (n: number) => `${n} track${n === 1 ? '' : 's'}`;
