// @vitest-environment jsdom
/** Identity accuracy on the model versions page: shown only when a version's model has identities. */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelVersion } from '../../../types/api';
import { compareMetricsFor } from '../metrics';
import { ModelVersionsTable } from './ModelVersionsTable';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const base: ModelVersion = {
  id: 21, project: 1, number: 1, job: 1, parent: null, created_at: '2024-05-01T10:00:00Z', download_url: null,
  metrics: { rmse_px: 3.1, map_oks: 0.7, frame_keys: ['a', 'b'], steps: 100 },
  config: { node_names: ['snout', 'tail'] },
};
const withIdentity: ModelVersion = {
  ...base, id: 22, number: 2,
  metrics: { ...base.metrics, identity_accuracy: 0.925, identity_frame_accuracy: 0.85, identity_names: ['female', 'male'] },
};

let root: Root;
let container: HTMLDivElement;

beforeEach(() => {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
});

const render = (versions: ModelVersion[]) =>
  act(() => root.render(<ModelVersionsTable versions={versions} selectedId={null} onSelect={() => {}} />));

const headers = () => [...container.querySelectorAll('th')].map((th) => th.textContent);

describe('identity accuracy', () => {
  it('has columns when a version has identities, a dash for the one without', () => {
    render([withIdentity, base]);
    expect(headers()).toEqual(expect.arrayContaining(['Identity', 'Identity, frames']));
    expect(container.querySelector('[data-testid="identity-2"]')?.textContent).toBe('92.5%');
    expect(container.querySelector('[data-testid="identity-1"]')?.textContent).toBe('–');
    expect(container.querySelector('[data-testid="model-version-2"]')?.textContent).toContain('85.0%');
  });

  it('has no columns when no version has identities', () => {
    render([base]);
    expect(headers()).not.toContain('Identity');
    expect(container.querySelector('[data-testid="identity-1"]')).toBeNull();
  });

  it('is compared only between versions that have it', () => {
    const keys = (versions: ModelVersion[]) => compareMetricsFor(versions).map((m) => m.key);
    expect(keys([withIdentity, base])).toContain('identity_accuracy');
    expect(keys([base, base])).not.toContain('identity_accuracy');
  });
});
