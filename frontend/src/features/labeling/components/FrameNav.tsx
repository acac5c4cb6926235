import { useEffect, useState } from 'react';

/** Prev/next buttons, a frame number box and "frame N / total" (N is the 0-based frame index). */
export function FrameNav(props: {
  frameIndex: number;
  frameCount: number | null;
  onPrevious(): void;
  onNext(): void;
  onGoTo(frameIndex: number): void;
}) {
  const [text, setText] = useState(String(props.frameIndex));
  useEffect(() => setText(String(props.frameIndex)), [props.frameIndex]);
  const last = props.frameCount === null ? null : props.frameCount - 1;

  const commit = () => {
    const n = Number(text);
    if (Number.isInteger(n) && n >= 0 && (last === null || n <= last)) props.onGoTo(n);
    else setText(String(props.frameIndex));
  };

  return (
    <div className="frame-nav">
      <button type="button" data-testid="prev-frame" onClick={props.onPrevious} disabled={props.frameIndex <= 0}>
        ◀ Prev
      </button>
      <input
        type="number"
        name="frame"
        data-testid="frame-input"
        min={0}
        max={last ?? undefined}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
      />
      <span data-testid="frame-counter">
        frame {props.frameIndex} / {props.frameCount ?? '?'}
      </span>
      <button
        type="button"
        data-testid="next-frame"
        onClick={props.onNext}
        disabled={last !== null && props.frameIndex >= last}
      >
        Next ▶
      </button>
    </div>
  );
}
