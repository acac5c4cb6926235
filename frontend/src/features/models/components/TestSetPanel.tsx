/**
 * Owner setting: the project's pinned test set. Training never sees these labeled
 * frames (it splits the rest into train and validation); every new model version is
 * scored on them, so the versions page can report figures that did not pick the model.
 * Pin N random frames (seeded: same labels + seed = same frames), unpin one, or clear.
 */
import { useState } from 'react';
import { ErrorMessage } from '../../../components/ErrorMessage';
import { Loading } from '../../../components/Loading';
import { useAsync } from '../../../lib/useAsync';
import type { TestSet } from '../../../types/api';
import { clearTestSet, getTestSet, pinTestSet, setTestFrame } from '../api/testSet';

export function TestSetPanel({ projectId, videoName }: { projectId: number; videoName?: (id: number) => string }) {
  const testSet = useAsync((signal) => getTestSet(projectId, signal), [projectId]);
  const [count, setCount] = useState(10);
  const [seed, setSeed] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const change = async (call: () => Promise<TestSet>) => {
    setBusy(true);
    setError(null);
    try {
      testSet.setData(await call());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const data = testSet.data;
  const name = (id: number) => videoName?.(id) ?? `video ${id}`;

  return (
    <section className="card" data-testid="test-set">
      <h2>Test set</h2>
      <p className="muted small">
        Labeled frames held out of every training run. New model versions are scored on them (“Test”); without a test
        set the versions page shows the validation frames’ figures, which also chose the checkpoint.
      </p>
      <ErrorMessage error={testSet.error ?? error} />
      {!data && !testSet.error && <Loading />}
      {data && (
        <>
          <p data-testid="test-set-summary">
            {data.frames.length} of {data.eligible_frames} labeled frames pinned as the test set.
          </p>
          <div className="inline-form">
            <label>
              Frames{' '}
              <input
                type="number"
                min={1}
                value={count}
                onChange={(e) => setCount(Number(e.target.value))}
                data-testid="test-set-count"
              />
            </label>
            <label>
              Seed{' '}
              <input type="number" min={0} value={seed} onChange={(e) => setSeed(Number(e.target.value))} data-testid="test-set-seed" />
            </label>
            <button type="button" disabled={busy || count < 1} onClick={() => void change(() => pinTestSet(projectId, { count, seed }))} data-testid="test-set-pin">
              Pin {count} random frames
            </button>
            <button
              type="button"
              className="secondary"
              disabled={busy || data.frames.length === 0}
              onClick={() => void change(() => clearTestSet(projectId))}
              data-testid="test-set-clear"
            >
              Clear
            </button>
          </div>
          {data.frames.length > 0 && (
            <ul className="small" data-testid="test-set-frames">
              {data.frames.map((f) => (
                <li key={f.id}>
                  {name(f.video)}, frame {f.frame_index} <span className="muted">({f.status.replace(/_/g, ' ')})</span>{' '}
                  <button
                    type="button"
                    className="link"
                    disabled={busy}
                    onClick={() => void change(() => setTestFrame(projectId, f.id, false))}
                    aria-label={`Unpin ${name(f.video)} frame ${f.frame_index}`}
                  >
                    unpin
                  </button>
                </li>
              ))}
            </ul>
          )}
          <p className="muted small">Changing the test set affects versions trained from now on; earlier ones keep the figures they were scored with.</p>
        </>
      )}
    </section>
  );
}
