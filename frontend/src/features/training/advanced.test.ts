import { describe, expect, it } from 'vitest';
import { ADVANCED_FIELDS, buildAdvanced, fieldValue, IDENTITY_MODES, MODEL_KINDS, withIdentity, withModelKind } from './advanced';

const preset = { preset: 'fast', max_seconds: 120, batch_size: 8, learning_rate: 0.003, seed: 0, aug_flip: true };
const field = (name: string) => ADVANCED_FIELDS.find((f) => f.name === name)!;

describe('advanced settings', () => {
  it('shows the preset value until edited', () => {
    expect(fieldValue(field('batch_size'), preset, {})).toBe('8');
    expect(fieldValue(field('batch_size'), preset, { batch_size: '16' })).toBe('16');
    expect(fieldValue(field('aug_flip'), preset, {})).toBe(true);
    expect(fieldValue(field('max_seconds'), { max_seconds: null }, {})).toBe('');
    expect(fieldValue(field('seed'), undefined, {})).toBe('');
  });

  it('sends only fields that differ from the preset', () => {
    expect(buildAdvanced(preset, {})).toEqual({ advanced: {}, errors: [] });
    expect(buildAdvanced(preset, { batch_size: '8', learning_rate: '0.003', aug_flip: true })).toEqual({ advanced: {}, errors: [] });
    expect(buildAdvanced(preset, { batch_size: ' 16 ', learning_rate: '1e-3', aug_flip: false, seed: '7' })).toEqual({
      advanced: { batch_size: 16, learning_rate: 0.001, aug_flip: false, seed: 7 },
      errors: [],
    });
  });

  it('treats an empty time budget as no limit', () => {
    expect(buildAdvanced(preset, { max_seconds: '' }).advanced).toEqual({ max_seconds: null });
    expect(buildAdvanced({ max_seconds: null }, { max_seconds: '' }).advanced).toEqual({});
  });

  it('reports unparsable values instead of sending them', () => {
    const { advanced, errors } = buildAdvanced(preset, { batch_size: '2.5', learning_rate: 'fast', seed: '' });
    expect(advanced).toEqual({});
    expect(errors).toEqual([
      'batch_size: expected an integer, got "2.5"',
      'learning_rate: expected a number, got "fast"',
      'seed: required',
    ]);
  });
});

describe('model kind', () => {
  it('proposes top-down and sends the kind only when it differs from the preset', () => {
    expect(MODEL_KINDS[0]!.kind).toBe('top_down');
    expect(withModelKind({}, preset, 'top_down')).toEqual({});
    expect(withModelKind({ seed: 1 }, preset, 'bottom_up')).toEqual({ seed: 1, model_kind: 'bottom_up' });
    expect(withModelKind({}, { ...preset, model_kind: 'bottom_up' }, 'top_down')).toEqual({ model_kind: 'top_down' });
  });
});

describe('identities', () => {
  it('offers auto, on, off and sends the mode only when it differs from the preset', () => {
    expect(IDENTITY_MODES.map((m) => m.mode)).toEqual(['auto', 'on', 'off']);
    expect(withIdentity({}, preset, 'top_down', 'auto')).toEqual({});
    expect(withIdentity({ seed: 1 }, preset, 'top_down', 'off')).toEqual({ seed: 1, identity: 'off' });
    expect(withIdentity({}, { ...preset, identity: 'on' }, 'top_down', 'auto')).toEqual({ identity: 'auto' });
  });

  it('never sends a mode for bottom-up models (they have no identity head)', () => {
    expect(withIdentity({ model_kind: 'bottom_up' }, preset, 'bottom_up', 'on')).toEqual({ model_kind: 'bottom_up' });
  });

  it('edits the identity loss weight like the other advanced numbers', () => {
    const withWeight = { ...preset, identity_loss_weight: 0.2 };
    expect(fieldValue(field('identity_loss_weight'), withWeight, {})).toBe('0.2');
    expect(buildAdvanced(withWeight, { identity_loss_weight: '0.2' }).advanced).toEqual({});
    expect(buildAdvanced(withWeight, { identity_loss_weight: '1.5' }).advanced).toEqual({ identity_loss_weight: 1.5 });
    expect(buildAdvanced(withWeight, { identity_loss_weight: 'x' }).errors).toEqual(['identity_loss_weight: expected a number, got "x"']);
  });
});
