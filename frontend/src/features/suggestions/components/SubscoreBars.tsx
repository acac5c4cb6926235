import type { Suggestion } from '../../../types/api';
import { STRATEGY_HELP, subscoreBars } from '../logic';

/** Small horizontal bars, one per strategy sub-score (0..1). */
export function SubscoreBars({ subscores, testId }: { subscores: Suggestion['subscores']; testId?: string }) {
  const bars = subscoreBars(subscores);
  if (!bars.length) return null;
  return (
    <ul className="subscores" data-testid={testId}>
      {bars.map((b) => (
        <li key={b.name} title={STRATEGY_HELP[b.name as keyof typeof STRATEGY_HELP] ?? b.name}>
          <span className="subscore-name">{b.name}</span>
          <span className="subscore-bar">
            <span className="subscore-fill" style={{ width: `${Math.round(b.value * 100)}%` }} />
          </span>
          <span className="subscore-value">{b.value.toFixed(2)}</span>
        </li>
      ))}
    </ul>
  );
}
