/** Display formatting for the training UI. */

export const DASH = '–';

/** "45 s", "2 min 10 s", "2 min", "1 h 5 min"; '–' for null / negative / non-finite. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return DASH;
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  if (total < 3600) {
    const m = Math.floor(total / 60);
    const s = total % 60;
    return s ? `${m} min ${s} s` : `${m} min`;
  }
  const totalMinutes = Math.round(total / 60);
  const h = Math.floor(totalMinutes / 60);
  const m = totalMinutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** Progress 0..1 → "42%" (clamped, rounded down so 99.6% is not shown as done). */
export function formatPercent(fraction: number | null | undefined): string {
  if (fraction == null || !Number.isFinite(fraction)) return DASH;
  return `${Math.floor(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

/** Local date and time of an ISO timestamp; '–' when missing or invalid. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? DASH : d.toLocaleString();
}

/** A loss value with 4 significant digits; '–' when missing. */
export function formatLoss(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return DASH;
  return Number(value.toPrecision(4)).toString();
}

/** A preset's time budget: "2 min", "no time limit". */
export function formatBudget(maxSeconds: number | null | undefined): string {
  return maxSeconds == null ? 'no time limit' : formatDuration(maxSeconds);
}
