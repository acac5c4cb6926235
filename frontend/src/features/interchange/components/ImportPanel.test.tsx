// @vitest-environment jsdom
/**
 * The import panel in jsdom: a fake XMLHttpRequest takes the upload (progress events,
 * 202 with the job), a fake fetch answers the job polling.
 */
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImportExportJob } from '../../../types/api';
import { ImportPanel } from './ImportPanel';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function job(over: Partial<ImportExportJob> = {}): ImportExportJob {
  return {
    id: 31, kind: 'import', status: 'queued', progress: 0, message: '', error: '', project: null, format: 'zip',
    options: {}, input_name: 'openfield.zip', created_at: '2024-01-01T00:00:00Z', started_at: null,
    finished_at: null, download_url: null, result: {}, ...over,
  };
}

class FakeXHR {
  static last: FakeXHR | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: FormData | null = null;
  status = 0;
  statusText = '';
  responseText = '';
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = {
    onprogress: null,
  };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXHR.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: FormData) {
    this.body = body;
  }
  abort() {
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total });
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

let root: Root;
let container: HTMLDivElement;
let answers: ImportExportJob[];
let fetchMock: ReturnType<typeof vi.fn>;
let imported: number[];

const $ = <T extends HTMLElement = HTMLElement>(id: string) => container.querySelector<T>(`[data-testid="${id}"]`);
const tick = (ms: number) => act(async () => { await vi.advanceTimersByTimeAsync(ms); });

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

async function mount() {
  container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  await act(async () => {
    root.render(
      <MemoryRouter>
        <ImportPanel onImported={(id) => imported.push(id)} />
      </MemoryRouter>,
    );
  });
}

function choose(name: string, content = 'PK') {
  const input = $<HTMLInputElement>('import-file')!;
  Object.defineProperty(input, 'files', { value: [new File([content], name)], configurable: true });
}

async function clickImport() {
  await act(async () => {
    $<HTMLButtonElement>('import-button')!.click();
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeXHR.last = null;
  imported = [];
  answers = [];
  document.cookie = 'csrftoken=tok123';
  vi.stubGlobal('XMLHttpRequest', FakeXHR);
  fetchMock = vi.fn(async (url: string) => {
    if (url !== '/api/import-export-jobs/31/') return json(404, { message: 'Not found.' });
    return json(200, answers.length > 1 ? answers.shift() : answers[0]);
  });
  vi.stubGlobal('fetch', fetchMock);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('ImportPanel', () => {
  it('uploads with progress, polls the job every second and links the new project', async () => {
    await mount();
    expect($<HTMLInputElement>('import-file')!.accept).toBe('.zip,.slp,.pkg.slp,.json');
    choose('openfield.zip');
    await act(async () => {
      const name = $<HTMLInputElement>('import-name')!;
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
      setter.call(name, 'My mice');
      name.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await clickImport();
    const xhr = FakeXHR.last!;
    expect([xhr.method, xhr.url]).toEqual(['POST', '/api/imports/']);
    expect(xhr.headers['X-CSRFToken']).toBe('tok123');
    expect((xhr.body!.get('file') as File).name).toBe('openfield.zip');
    expect(xhr.body!.get('name')).toBe('My mice');
    expect($('import-button')!.hasAttribute('disabled')).toBe(true);

    await act(async () => xhr.progress(25, 100));
    expect($('import-upload-progress')!.textContent).toContain('25%');
    expect($('import-upload-progress')!.querySelector('progress')!.value).toBe(0.25);

    answers = [
      job({ status: 'running', progress: 0.4, message: 'Encoding images (40/116)' }),
      job({ status: 'running', progress: 0.9, message: 'Saving labels' }),
      job({ status: 'succeeded', progress: 1, project: 12, message: "Imported project 'My mice'" }),
    ];
    await act(async () => xhr.respond(202, job()));
    expect($('import-upload-progress')).toBeNull();
    await tick(0);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect($('import-status')!.textContent).toBe('Encoding images (40/116) – 40%');
    await tick(1000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect($('import-status')!.textContent).toBe('Saving labels – 90%');
    expect($('import-project-link')).toBeNull();
    await tick(1000);
    expect($('import-status')!.textContent).toBe("Imported project 'My mice'");
    expect($('import-project-link')!.getAttribute('href')).toBe('/projects/12');
    expect(imported).toEqual([12]);
    expect($('import-error')).toBeNull();
    expect($('import-skipped')).toBeNull(); // nothing was left out
    expect($('import-button')!.hasAttribute('disabled')).toBe(false);
    await tick(5000);
    expect(fetchMock).toHaveBeenCalledTimes(3); // polling stopped
  });

  it('lists the project files an import could not read', async () => {
    await mount();
    choose('openfield.zip');
    await clickImport();
    const message = "Imported project 'openfield'. Added 1 video(s) from videos/. Could not read 1 file(s): …";
    answers = [job({
      status: 'succeeded', progress: 1, project: 12, message,
      result: { videos_added: ['m3v1mp4.mp4'], videos_skipped: [{ name: 'videos/broken.avi', reason: 'The file has no video stream.' }] },
    })];
    await act(async () => FakeXHR.last!.respond(202, job()));
    await tick(0);
    expect($('import-status')!.textContent).toBe(message);
    expect($('import-skipped')!.textContent).toContain('videos/broken.avi: The file has no video stream.');
    expect($('import-error')).toBeNull();
  });

  it('shows the job error when the import fails', async () => {
    await mount();
    choose('broken.zip');
    await clickImport();
    answers = [job({ status: 'failed', error: 'config.yaml is missing: a DeepLabCut project folder must contain it.' })];
    await act(async () => FakeXHR.last!.respond(202, job()));
    await tick(0);
    expect($('import-error')!.textContent).toContain('config.yaml is missing');
    expect($('import-status')!.getAttribute('data-status')).toBe('failed');
    expect($('import-project-link')).toBeNull();
    expect(imported).toEqual([]);
  });

  it('shows the server message when the upload is refused', async () => {
    await mount();
    choose('evil.zip');
    await clickImport();
    await act(async () => FakeXHR.last!.respond(400, { message: "Zip entry '../evil.txt' contains '..'." }));
    expect($('import-error')!.textContent).toContain("contains '..'");
    expect(fetchMock).not.toHaveBeenCalled();
    expect($('import-status')).toBeNull();
  });

  it('refuses other files before uploading', async () => {
    await mount();
    choose('notes.txt');
    await clickImport();
    expect(FakeXHR.last).toBeNull();
    expect($('import-error')!.textContent).toContain('.zip, .slp, .pkg.slp or .json');
  });
});
