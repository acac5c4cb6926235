/**
 * Multipart upload of a video file. XMLHttpRequest rather than fetch because
 * only XHR reports upload progress. Field name `file` as in docs/api.md.
 */
import { ApiError, csrfHeaders, errorFromBody } from '../../../lib/api';
import type { Video } from '../../../types/api';

export interface UploadHandle {
  promise: Promise<Video>;
  abort: () => void;
}

/** Upload `file`; `onProgress` gets a fraction in [0, 1]. */
export function uploadVideo(projectId: number, file: File, onProgress: (fraction: number) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<Video>((resolve, reject) => {
    xhr.open('POST', `/api/projects/${projectId}/videos/`);
    xhr.withCredentials = false; // same-origin requests send cookies anyway
    for (const [k, v] of Object.entries(csrfHeaders('POST'))) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = xhr.responseText;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as Video);
      else reject(errorFromBody(xhr.status, xhr.statusText, body));
    };
    xhr.onerror = () => reject(new ApiError(0, 'Network error: the upload did not reach the server'));
    xhr.onabort = () => reject(new ApiError(0, 'Upload cancelled'));
    const form = new FormData();
    form.append('file', file);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
