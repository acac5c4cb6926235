/**
 * The run's tracks over the video, one row per track: solid where the track is
 * seen, hatched where it is not (gaps), lighter where it is seen with a low
 * confidence. A lane above marks the suspicious spots, a lane below who holds
 * which frames. A click anywhere jumps to the frame under it; the cursor is the
 * current frame.
 */
import { useMemo, type MouseEvent } from 'react';
import type { SuspiciousSpot, TrackLockInfo, TrackRow } from '../../../types/api';
import { lockText, spotText } from '../navigation';
import { frameAtX, frameX, layoutTimeline, ROW_GAP, ROW_HEIGHT } from '../timeline';

/** SVG user units across; the SVG stretches to the page's width. */
const WIDTH = 1000;
const LANE = 10;

interface Props {
  rows: readonly TrackRow[];
  frames: readonly number[];
  colors: ReadonlyMap<string, string>;
  spots: readonly SuspiciousSpot[];
  locks: readonly TrackLockInfo[];
  me: string | null;
  frame: number;
  onFrame(frame: number): void;
}

export function TrackTimeline({ rows, frames, colors, spots, locks, me, frame, onFrame }: Props) {
  const layout = useMemo(() => layoutTimeline(rows, frames, WIDTH, colors), [rows, frames, colors]);
  const range = layout.frames;
  const top = LANE + ROW_GAP;
  const height = top + layout.height + LANE;
  const cursorX = frameX(frame, range, WIDTH);
  const cursorW = Math.max(1.5, frameX(frame + 1, range, WIDTH) - cursorX);

  const jump = (e: MouseEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    onFrame(frameAtX(((e.clientX - box.left) / Math.max(1, box.width)) * WIDTH, range, WIDTH));
  };

  return (
    <div className="track-timeline" data-testid="timeline">
      <ul className="track-names" style={{ paddingTop: top }}>
        {layout.rows.map((row) => (
          <li key={row.track} style={{ height: ROW_HEIGHT, marginBottom: ROW_GAP }} title={row.track}>
            <span className="swatch" style={{ background: row.color }} aria-hidden="true" />
            {row.track}
          </li>
        ))}
      </ul>
      <svg
        className="track-bars"
        viewBox={`0 0 ${WIDTH} ${height}`}
        preserveAspectRatio="none"
        style={{ height }}
        onClick={jump}
        role="img"
        aria-label={`Tracks over frames ${range[0]}–${range[1] - 1}; click to go to a frame`}
      >
        <defs>
          <pattern id="gap-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" fill="#f4f5f7" />
            <line x1="0" y1="0" x2="0" y2="6" stroke="#c9ced6" strokeWidth="2" />
          </pattern>
        </defs>
        {spots.map((s, i) => (
          <rect
            key={`spot-${i}`}
            className={`spot spot-${s.kind}`}
            x={frameX(s.frame, range, WIDTH)}
            y={0}
            width={Math.max(2, frameX(s.frame + 1, range, WIDTH) - frameX(s.frame, range, WIDTH))}
            height={LANE}
            data-frame={s.frame}
          >
            <title>{`frame ${s.frame}: ${spotText(s)}`}</title>
          </rect>
        ))}
        {layout.rows.map((row) => (
          <g key={row.track} data-testid={`timeline-row-${row.track}`} transform={`translate(0 ${top + row.y})`}>
            {row.gaps.map((g) => (
              <rect key={`g${g.start}`} x={g.x} width={g.width} height={ROW_HEIGHT} fill="url(#gap-hatch)"
                data-testid={`gap-${row.track}-${g.start}`} data-start={g.start} data-stop={g.stop}>
                <title>{`${row.track} not seen: frames ${g.start}–${g.stop - 1}`}</title>
              </rect>
            ))}
            {row.seen.map((s) => (
              <rect key={`s${s.start}`} x={s.x} width={s.width} height={ROW_HEIGHT} fill={row.color}
                data-testid={`seen-${row.track}-${s.start}`} data-start={s.start} data-stop={s.stop}>
                <title>{`${row.track} seen: frames ${s.start}–${s.stop - 1}`}</title>
              </rect>
            ))}
            {row.low.map((s) => (
              <rect key={`l${s.start}`} x={s.x} width={s.width} height={ROW_HEIGHT} fill="#fff" fillOpacity={0.6}
                className="low-confidence" data-testid={`low-${row.track}-${s.start}`} data-start={s.start} data-stop={s.stop}>
                <title>{`${row.track} low confidence: frames ${s.start}–${s.stop - 1}`}</title>
              </rect>
            ))}
          </g>
        ))}
        {locks.map((l) => (
          <rect
            key={`lock-${l.user}`}
            className={`lock-band${l.user === me ? ' mine' : ''}`}
            x={frameX(l.start, range, WIDTH)}
            y={top + layout.height}
            width={Math.max(2, frameX(l.stop, range, WIDTH) - frameX(l.start, range, WIDTH))}
            height={LANE - 2}
          >
            <title>{lockText(l, me)}</title>
          </rect>
        ))}
        <rect className="timeline-cursor" data-testid="timeline-cursor" data-frame={frame}
          x={cursorX - (cursorW < 3 ? 1 : 0)} y={0} width={cursorW} height={height} />
      </svg>
    </div>
  );
}
