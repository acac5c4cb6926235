import { useRef, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import type { Video } from '../../../types/api';
import { uploadVideo } from '../api/uploadVideo';

/** Owner-only upload form with a progress bar; shows the server's 400 message on failure. */
export function VideoUpload({ projectId, onUploaded }: { projectId: number; onUploaded: (v: Video) => void }) {
  const inputRef = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const file = inputRef.current?.files?.[0];
    if (!file) return;
    setError(null);
    setProgress(0);
    try {
      const video = await uploadVideo(projectId, file, setProgress).promise;
      onUploaded(video);
      if (inputRef.current) inputRef.current.value = '';
    } catch (err) {
      setError(err);
    } finally {
      setProgress(null);
    }
  }

  return (
    <form className="card inline-form" onSubmit={submit} data-testid="upload-form">
      <h2>Upload a video</h2>
      <input ref={inputRef} type="file" name="video" accept="video/*" required disabled={progress !== null} />
      <button type="submit" disabled={progress !== null}>
        Upload
      </button>
      {progress !== null && (
        <span className="progress" data-testid="upload-progress">
          <progress max={1} value={progress} /> {Math.round(progress * 100)}%
        </span>
      )}
      <ErrorMessage error={error} testId="upload-error" />
    </form>
  );
}
