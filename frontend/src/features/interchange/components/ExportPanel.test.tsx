// @vitest-environment jsdom
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImportExportJob, InterchangeFormat } from '../../../types/api';
import { ExportPanel } from './ExportPanel';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const formats: InterchangeFormat[] = [
  { name: 'dlc', label: 'DeepLabCut project', import: true, export: true },
  { name: 'sleap', label: 'SLEAP .slp / .pkg.slp', import: true, export: false },
  { name: 'nwb', label: 'NWB (ndx-pose)', import: false, export: true },
];

function job(over: Partial<ImportExportJob> = {}): ImportExportJob {
  return {
    id: 9, kind: 'export', status: 'queued', progress: 0, message: '', error: '', project: 4, format: 'nwb',
    options: { labels: 'approved' }, input_name: '', created_at: '2024-01-01T00:00:00Z', started_at: null,
    finished_at: null, download_url: null, result: {}, ...over,
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

let root: Root;
let container: HTMLDivElement;
let answers: ImportExportJob[];
let posts: unknown[];
const $ = <T extends HTMLElement = HTMLElement>(id: string) => container.querySelector<T>(`[data-testid="${id}"]`);
const tick = (ms: number) => act(async () => { await vi.advanceTimersByTimeAsync(ms); });

beforeEach(async () => {
  vi.useFakeTimers();
  answers = [];
  posts = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    if (url === '/api/interchange/formats/') return json(200, formats);
    if (url === '/api/projects/4/exports/' && init?.method === 'POST') {
      posts.push(JSON.parse(String(init.body)));
      return json(202, job());
    }
    if (url === '/api/import-export-jobs/9/') return json(200, answers.length > 1 ? answers.shift() : answers[0]);
    return json(404, { message: 'Not found.' });
  }));
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () => root.render(<ExportPanel projectId={4} />));
  await tick(0);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('ExportPanel', () => {
  it('starts an export with the chosen options and links the zip when done', async () => {
    const select = $<HTMLSelectElement>('export-format')!;
    expect([...select.options].map((o) => o.value)).toEqual(['dlc', 'nwb']); // export formats only
    const labels = $<HTMLSelectElement>('export-labels')!;
    expect(labels.value).toBe('approved_submitted');
    expect([...labels.options].map((o) => o.textContent)).toEqual([
      'Approved + submitted (default)', 'Approved only', 'All, including in progress and rejected',
    ]);
    await act(async () => {
      select.value = 'nwb';
      select.dispatchEvent(new Event('change', { bubbles: true }));
      labels.value = 'approved';
      labels.dispatchEvent(new Event('change', { bubbles: true }));
    });
    answers = [job({ status: 'running', progress: 0.1, message: 'Writing files' }),
      job({ status: 'succeeded', progress: 1, message: 'Exported as nwb', download_url: '/api/import-export-jobs/9/download' })];
    await act(async () => $<HTMLButtonElement>('export-button')!.click());
    await tick(0);
    expect(posts).toEqual([{ format: 'nwb', labels: 'approved' }]);
    expect($('export-status')!.textContent).toBe('Writing files – 10%');
    expect($('export-download')).toBeNull();
    await tick(1000);
    expect($('export-download')!.getAttribute('href')).toBe('/api/import-export-jobs/9/download');
    expect($('export-error')).toBeNull();
  });

  it('exports approved + submitted labels unless told otherwise', async () => {
    answers = [job({ status: 'running' })];
    await act(async () => $<HTMLButtonElement>('export-button')!.click());
    await tick(0);
    expect(posts).toEqual([{ format: 'dlc', labels: 'approved_submitted' }]);
  });

  it('shows a failed export', async () => {
    answers = [job({ status: 'failed', error: 'Lightning Pose holds one animal per frame; this project has more.' })];
    await act(async () => $<HTMLButtonElement>('export-button')!.click());
    await tick(0);
    expect($('export-error')!.textContent).toContain('one animal per frame');
    expect($('export-download')).toBeNull();
  });
});
