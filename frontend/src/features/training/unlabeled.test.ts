import { describe, expect, it } from 'vitest';
import type { PretrainJob, TrainConfig } from '../../types/api';
import { pretrainSummary, unlabeledDefaults, unlabeledText, withUnlabeled } from './unlabeled';

const preset: TrainConfig = { preset: 'balanced', use_pretrained_encoder: 'off', pseudo_labels: false, pseudo_label_threshold: 0.5 };

const pretrain = (overrides: Partial<PretrainJob>): PretrainJob => ({
  id: 3, project: 1, status: 'running', progress: 0.5, eta_seconds: 10, message: 'Pretraining (loss 0.0123)', error: '',
  cancel_requested: false, config: {}, result: null, created_by: 'bob', created_at: '2024-05-01T10:00:00Z',
  started_at: null, finished_at: null, ...overrides,
});

describe('withUnlabeled', () => {
  it('sends nothing while the choices are the preset’s', () => {
    expect(withUnlabeled({ seed: 1 }, preset, unlabeledDefaults(preset))).toEqual({ advanced: { seed: 1 } });
  });

  it('sends the options that differ, the threshold only when it changed', () => {
    const choice = { pretrained: true, pseudo: true, threshold: '0.8' };
    expect(withUnlabeled({}, preset, choice).advanced).toEqual({
      use_pretrained_encoder: 'auto', pseudo_labels: true, pseudo_label_threshold: 0.8,
    });
    expect(withUnlabeled({}, preset, { ...choice, threshold: '0.5' }).advanced).not.toHaveProperty('pseudo_label_threshold');
  });

  it('turns off what a preset turns on', () => {
    const on = { ...preset, use_pretrained_encoder: 'auto' as const };
    expect(withUnlabeled({}, on, { pretrained: false, pseudo: false, threshold: '0.5' }).advanced).toEqual({ use_pretrained_encoder: 'off' });
  });

  it('refuses a threshold outside 0 to 1', () => {
    expect(withUnlabeled({}, preset, { pretrained: false, pseudo: true, threshold: '1.5' }).error).toMatch(/pseudo_label_threshold/);
    expect(withUnlabeled({}, preset, { pretrained: false, pseudo: true, threshold: '' }).error).toBeDefined();
  });
});

describe('texts', () => {
  it('summarises a pretraining by state', () => {
    expect(pretrainSummary(pretrain({}))).toBe('Pretraining (loss 0.0123)');
    const done = pretrain({ status: 'succeeded', result: { status: 'time_budget', steps: 420, seconds: 180, initial_loss: 0.05, final_loss: 0.01, frames: 200 } });
    expect(pretrainSummary(done)).toBe('200 frames, 420 steps, loss 0.0500 → 0.0100');
    expect(pretrainSummary(pretrain({ status: 'failed', error: 'ValueError: no frames\ntrace' }))).toBe('ValueError: no frames');
  });

  it('says what a job took from unlabeled frames', () => {
    expect(unlabeledText({ unlabeled: {} })).toBe('');
    expect(unlabeledText({ unlabeled: { pretrained_encoder: { job: 3 }, pseudo_labels: { frames: 12, model_version: 2 } } }))
      .toBe('encoder from pretraining #3, 12 pseudo-labeled frames (model v2)');
    expect(unlabeledText({ unlabeled: { pretrained_encoder: { job: null } } })).toBe('no matching pretraining');
  });
});
