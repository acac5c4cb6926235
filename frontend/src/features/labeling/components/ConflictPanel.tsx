import type { Instance, LabeledFrame, Point, Skeleton, Track } from '../../../types/api';
import { pairInstances, type InstancePair } from '../savedInstances';

function describe(p: Point | undefined): string {
  if (!p) return '—';
  if (p.visibility === 0) return 'not in frame';
  return `${p.x.toFixed(1)}, ${p.y.toFixed(1)}${p.visibility === 1 ? ' (occluded)' : ''}`;
}

const NO_TRACKS: readonly Track[] = [];

/**
 * Shown after a 409: their saved version next to my unsaved one; the user
 * chooses. Every animal is compared (same track together), each under its
 * name in its track's colour; a single-animal frame shows one table.
 */
export function ConflictPanel(props: {
  skeleton: Skeleton;
  theirs: LabeledFrame;
  mine: readonly Instance[];
  /** The project's tracks (names' colours). */
  tracks?: readonly Track[];
  onKeepMine(): void;
  onTakeTheirs(): void;
}) {
  const pairs = pairInstances(props.theirs.instances, props.mine, props.tracks ?? NO_TRACKS);
  const who = props.theirs.updated_by?.username ?? 'someone else';
  const when = props.theirs.updated_at ? new Date(props.theirs.updated_at).toLocaleString() : '';
  return (
    <section className="card conflict-panel" data-testid="conflict-panel" role="alertdialog" aria-label="Save conflict">
      <h2>Conflict</h2>
      <p>
        {who} saved this frame (version {props.theirs.version}
        {when && `, ${when}`}) while you were editing. Nothing was overwritten. Choose which version to keep.
      </p>
      {(pairs.length ? pairs : [{ style: null, theirs: null, mine: null }]).map((pair, i) => (
        <PairTable key={i} index={i} pair={pair} skeleton={props.skeleton} version={props.theirs.version} />
      ))}
      <p className="muted small">
        Instances: theirs {props.theirs.instances.length}, mine {props.mine.length}.
      </p>
      <div className="buttons">
        <button type="button" data-testid="keep-mine" onClick={props.onKeepMine}>
          Keep mine
        </button>
        <button type="button" className="secondary" data-testid="take-theirs" onClick={props.onTakeTheirs}>
          Take theirs
        </button>
      </div>
    </section>
  );
}

/** One animal, node by node: their point next to mine (rows that differ are marked). */
function PairTable({ pair, index, skeleton, version }: { pair: InstancePair; index: number; skeleton: Skeleton; version: number }) {
  const first = index === 0;
  return (
    <table data-testid={pair.style ? `conflict-instance-${index}` : undefined}>
      {pair.style && (
        <caption style={{ color: pair.style.color }}>
          <span className="swatch" style={{ background: pair.style.color }} aria-hidden="true" />
          {pair.style.label}
          {!pair.theirs && <span className="muted small"> (only mine)</span>}
          {!pair.mine && <span className="muted small"> (only theirs)</span>}
        </caption>
      )}
      <thead>
        <tr>
          <th>Node</th>
          <th data-testid={first ? 'conflict-theirs' : undefined}>Theirs (v{version})</th>
          <th data-testid={first ? 'conflict-mine' : undefined}>Mine</th>
        </tr>
      </thead>
      <tbody>
        {skeleton.nodes.map((n) => {
          const a = describe(pair.theirs?.get(n.id));
          const b = describe(pair.mine?.get(n.id));
          return (
            <tr key={n.id} className={a !== b ? 'differs' : undefined}>
              <td>{n.name}</td>
              <td>{a}</td>
              <td>{b}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
