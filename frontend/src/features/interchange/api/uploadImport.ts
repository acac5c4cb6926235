/**
 * Multipart upload of a project file to POST /api/imports/ (fields `file`, `name`).
 * XMLHttpRequest rather than fetch because only XHR reports upload progress.
 * Resolves with the queued job (202).
 */
import { ApiError, csrfHeaders, errorFromBody } from '../../../lib/api';
import type { ImportExportJob } from '../../../types/api';

export interface ImportUploadHandle {
  promise: Promise<ImportExportJob>;
  abort: () => void;
}

/** File name suffixes the backend accepts (order matters: .pkg.slp before .slp). */
export const IMPORT_ACCEPT = '.zip,.slp,.pkg.slp,.json';

export function isImportable(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return ['.zip', '.slp', '.json'].some((suffix) => lower.endsWith(suffix));
}

/** Upload `file`; `onProgress` gets a fraction in [0, 1]. */
export function uploadImport(
  file: File,
  projectName: string,
  onProgress: (fraction: number) => void,
): ImportUploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<ImportExportJob>((resolve, reject) => {
    xhr.open('POST', '/api/imports/');
    for (const [k, v] of Object.entries(csrfHeaders('POST'))) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = xhr.responseText;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as ImportExportJob);
      } else {
        reject(errorFromBody(xhr.status, xhr.statusText, body));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'Network error: the upload did not reach the server'));
    xhr.onabort = () => reject(new ApiError(0, 'Upload cancelled'));
    const form = new FormData();
    form.append('file', file);
    const name = projectName.trim();
    if (name) form.append('name', name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
