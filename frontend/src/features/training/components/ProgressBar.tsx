import { formatPercent } from '../format';

/** A horizontal bar with the percent as text. */
export function ProgressBar({ fraction, testId }: { fraction: number; testId?: string }) {
  const text = formatPercent(fraction);
  const width = Math.min(100, Math.max(0, (Number.isFinite(fraction) ? fraction : 0) * 100));
  return (
    <div
      className="progress-bar"
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.floor(width)}
      data-testid={testId}
    >
      <div className="progress-fill" style={{ width: `${width}%` }} />
      <span className="progress-text">{text}</span>
    </div>
  );
}
