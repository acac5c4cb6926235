/**
 * The lock on the open frame as React state: acquire on open, heartbeat while
 * open, release on leave (and on `pagehide`). The lock logic itself lives in
 * FrameLockKeeper; this hook only ties one keeper to one (video, frame).
 */
import { useEffect, useRef, useState } from 'react';
import { lockFrame, unlockFrame, unlockFrameOnUnload } from '../api/team';
import { FrameLockKeeper, type LockDeps, type LockSnapshot } from '../lock';

const lockDeps: LockDeps = { lock: lockFrame, unlock: unlockFrame };

export interface FrameLockState {
  lock: LockSnapshot | null;
  /** "Edit anyway" on a frame someone else holds (owners, reviewers); reset per frame. */
  override: boolean;
  setOverride(value: boolean): void;
}

/**
 * @param onHolderLeft called when a frame someone else held becomes ours (reload
 *   it, so we edit on top of what they saved). Read through a ref: changing it
 *   never re-runs the lock effect.
 */
export function useFrameLock(videoId: number, frameIndex: number, enabled: boolean, onHolderLeft: () => void, deps: LockDeps = lockDeps): FrameLockState {
  const [lock, setLock] = useState<LockSnapshot | null>(null);
  const [override, setOverride] = useState(false);
  const onHolderLeftRef = useRef(onHolderLeft);
  onHolderLeftRef.current = onHolderLeft;
  const depsRef = useRef(deps);

  useEffect(() => {
    setOverride(false);
    if (!enabled) {
      setLock(null);
      return;
    }
    const keeper = new FrameLockKeeper(videoId, frameIndex, depsRef.current);
    setLock(keeper.snapshot);
    let last = keeper.snapshot.status;
    const unsubscribe = keeper.subscribe((snap) => {
      if (last === 'locked' && snap.status === 'held') onHolderLeftRef.current();
      last = snap.status;
      setLock(snap);
    });
    void keeper.acquire();
    const onHide = () => {
      if (keeper.isHeld) unlockFrameOnUnload(videoId, frameIndex);
    };
    window.addEventListener('pagehide', onHide);
    return () => {
      window.removeEventListener('pagehide', onHide);
      unsubscribe();
      keeper.dispose();
    };
  }, [videoId, frameIndex, enabled]);

  return { lock, override, setOverride };
}
