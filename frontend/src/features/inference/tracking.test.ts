import { describe, expect, it } from 'vitest';
import { buildRunRequest, isRetrackActive, anyRunActive } from './runs';
import { buildTracking, defaultTrackingForm, trackingFormFrom, tracksText } from './tracking';

describe('tracking settings', () => {
  it('start off, with the project animal count as max animals (empty: unknown)', () => {
    expect(defaultTrackingForm(2)).toEqual({
      enabled: false, maxTracks: '2', similarity: 'oks', motion: 'constant_velocity', window: '5', identity: true, identityWindow: '5',
    });
    expect(defaultTrackingForm(null).maxTracks).toBe('');
    expect(buildTracking(defaultTrackingForm(2))).toEqual({ tracking: null });
  });

  it('build the request: null max animals when unknown', () => {
    expect(buildTracking({ ...defaultTrackingForm(null, true), window: '9' })).toEqual({
      tracking: { max_tracks: null, similarity: 'oks', motion: 'constant_velocity', window: 9, identity: true, identity_window: 5 },
    });
  });

  it('send identity scores on by default, the identity window only where it is valid or used', () => {
    const on = defaultTrackingForm(2, true);
    expect(buildTracking({ ...on, identityWindow: '0' })).toMatchObject({ tracking: { identity: true, identity_window: 0 } });
    for (const identityWindow of ['-1', '301', '1.5', '']) {
      expect(buildTracking({ ...on, identityWindow })).toEqual({ error: 'Identity window: a whole number of frames from 0 to 300.' });
    }
    // Off: a leftover bad window does not block the run, and is not sent.
    const off = buildTracking({ ...on, identity: false, identityWindow: '' });
    expect(off).toEqual({ tracking: { max_tracks: 2, similarity: 'oks', motion: 'constant_velocity', window: 5, identity: false } });
  });

  it('refuse values the server would', () => {
    for (const window of ['0', '301', '2.5', '', 'x']) {
      expect(buildTracking({ ...defaultTrackingForm(2, true), window })).toHaveProperty('error');
    }
    for (const maxTracks of ['0', '65', '1.5']) {
      expect(buildTracking({ ...defaultTrackingForm(2, true), maxTracks })).toHaveProperty('error');
    }
  });

  it("prefill a re-track from the run's settings, else the defaults", () => {
    expect(trackingFormFrom({ window: 7, similarity: 'centroid', motion: 'kalman', max_tracks: null }, 3)).toEqual({
      enabled: true, maxTracks: '', similarity: 'centroid', motion: 'kalman', window: '7', identity: true, identityWindow: '5',
    });
    expect(trackingFormFrom({ identity: false, identity_window: 0 }, 3)).toMatchObject({ identity: false, identityWindow: '0' });
    expect(trackingFormFrom(null, 3)).toEqual({ ...defaultTrackingForm(3), enabled: true });
  });

  it('go into the run request and stop it when bad', () => {
    const base = { modelVersion: 3, videos: [7], smoothing: 'none' as const, window: '5', suggest: '', renderVideo: true };
    expect(buildRunRequest({ ...base, tracking: defaultTrackingForm(2) })).toEqual({ body: { model_version: 3, videos: [7], render_video: true } });
    expect(buildRunRequest({ ...base, tracking: { ...defaultTrackingForm(2, true), motion: 'none' } })).toMatchObject({
      body: { tracking: { max_tracks: 2, motion: 'none' } },
    });
    expect(buildRunRequest({ ...base, tracking: { ...defaultTrackingForm(2, true), window: '0' } })).toHaveProperty('error');
  });

  it('name the number of tracks', () => {
    expect(tracksText(1)).toBe('1 track');
    expect(tracksText(3)).toBe('3 tracks');
  });

  it('keep polling while a re-tracking is in flight', () => {
    const job = (status: 'queued' | 'succeeded') => ({ status }) as never;
    expect(isRetrackActive({ retrack: job('queued') })).toBe(true);
    expect(anyRunActive([{ status: 'succeeded', retrack: job('queued') }])).toBe(true);
    expect(anyRunActive([{ status: 'succeeded', retrack: job('succeeded') }, { status: 'failed', retrack: null }])).toBe(false);
  });
});
