import type { LabeledFrameSummary } from '../api/labeledFrames';

const MAX_SHOWN = 300;

/** Jump list of the video's labeled frames; the current frame is highlighted. */
export function LabeledFrameList(props: {
  frames: readonly LabeledFrameSummary[];
  currentFrame: number;
  onGoTo(frameIndex: number): void;
}) {
  const frames = [...props.frames].sort((a, b) => a.frame_index - b.frame_index);
  return (
    <section data-testid="labeled-frames">
      <h2>Labeled frames ({frames.length})</h2>
      {frames.length === 0 && <p className="muted small">None yet.</p>}
      <div className="frame-chips">
        {frames.slice(0, MAX_SHOWN).map((f) => (
          <button
            key={f.frame_index}
            type="button"
            className={f.frame_index === props.currentFrame ? 'chip current' : `chip status-${f.status}`}
            title={`frame ${f.frame_index}: ${f.status.replace('_', ' ')}, v${f.version}`}
            data-testid={`labeled-frame-${f.frame_index}`}
            onClick={(e) => {
              props.onGoTo(f.frame_index);
              e.currentTarget.blur();
            }}
          >
            {f.frame_index}
          </button>
        ))}
      </div>
    </section>
  );
}
